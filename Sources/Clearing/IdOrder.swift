/// The one ordering of participant ids used everywhere: byte-wise on UTF-8, so it is the
/// same on every platform and locale and matches `sort` on the files.
@inline(__always)
package func idPrecedes(_ lhs: String, _ rhs: String) -> Bool {
    lhs.utf8.lexicographicallyPrecedes(rhs.utf8)
}
