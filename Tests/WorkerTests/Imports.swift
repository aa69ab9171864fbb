// The shared test support, for every file of this target (PublishFailureTests among them).
@_exported import LoyaltyTesting
