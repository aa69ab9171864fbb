// Temporary (issue 10, requests.md H3 → H4): SettlementWriter, SettlementVerifier and
// SigningKeyFile moved from Clearing to SettlementFiles; the end-to-end clearing tests reach
// them through this module until they import SettlementFiles themselves. Delete then.
@_exported import SettlementFiles
