extension Unicode.Scalar {
    /// Characters that can act on a terminal or hide or reorder text when printed raw: C0 and C1
    /// controls, DEL, the Unicode line and paragraph separators, the bidirectional controls
    /// (U+061C, U+200E–U+200F, U+202A–U+202E, U+2066–U+2069: an approver would read the
    /// arguments in another order than they run) and the invisible format characters (U+00AD,
    /// U+180E, U+200B–U+200D, U+2060–U+2064, U+FEFF). gate never prints one from a request as is;
    /// the text views show `\xNN` or `\uNNNN`.
    public var isTerminalControl: Bool {
        switch value {
        case 0..<0x20, 0x7f, 0x80..<0xa0, 0xad, 0x61c, 0x180e, 0x200b...0x200f, 0x2028...0x202e, 0x2060...0x2064,
             0x2066...0x2069, 0xfeff:
            return true
        default:
            return false
        }
    }
}
