extension Unicode.Scalar {
    /// Characters that can act on a terminal or hide text when printed raw: C0 and C1 controls,
    /// DEL, and the Unicode line and paragraph separators. gate never prints one from a request
    /// as is; JSON escapes them and the text views show `\xNN`.
    public var isTerminalControl: Bool {
        value < 0x20 || value == 0x7f || (value >= 0x80 && value < 0xa0) || value == 0x2028 || value == 0x2029
    }
}
