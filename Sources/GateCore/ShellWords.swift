/// A command string split into argv the way bash would split it, but only when nothing in it
/// is shell syntax: words, spaces and tabs, single quotes, double quotes and backslashes.
/// Anything a shell would interpret (`; | & $ \` > < ( ) { }`, globs `* ? [`, `~` at a word's
/// start, `#` comments, `VAR=value` prefixes, newlines, control characters) makes it `nil`: such
/// a string is judged as `sh -c STRING`, never guessed at.
public enum ShellWords {
    public static func split(_ command: String) -> [String]? {
        var words: [String] = []
        var word: [UInt8] = []
        var inWord = false
        var i = command.utf8.startIndex
        let s = command.utf8
        func special(_ c: UInt8) -> Bool {
            switch c {
            case UInt8(ascii: ";"), UInt8(ascii: "|"), UInt8(ascii: "&"), UInt8(ascii: "$"), UInt8(ascii: "`"), UInt8(ascii: ">"),
                 UInt8(ascii: "<"), UInt8(ascii: "("), UInt8(ascii: ")"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "*"),
                 UInt8(ascii: "?"), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "!"):
                return true
            default:
                return c < 0x20 && c != 9 || c == 0x7f
            }
        }
        while i < s.endIndex {
            let c = s[i]
            if c == 32 || c == 9 {
                if inWord { words.append(String(decoding: word, as: UTF8.self)); word = []; inWord = false }
                i = s.index(after: i)
                continue
            }
            if !inWord && c == UInt8(ascii: "#") { return nil }
            if c == UInt8(ascii: "~") { return nil }  // tilde expansion, also after = and :
            if special(c) { return nil }
            inWord = true
            switch c {
            case UInt8(ascii: "'"):
                i = s.index(after: i)
                while i < s.endIndex && s[i] != UInt8(ascii: "'") {
                    if s[i] < 0x20 && s[i] != 9 || s[i] == 0x7f { return nil }
                    word.append(s[i]); i = s.index(after: i)
                }
                guard i < s.endIndex else { return nil }  // unclosed quote
            case UInt8(ascii: "\""):
                i = s.index(after: i)
                while i < s.endIndex && s[i] != UInt8(ascii: "\"") {
                    let d = s[i]
                    // Inside double quotes bash still expands $, ` and (interactively) !.
                    if d == UInt8(ascii: "$") || d == UInt8(ascii: "`") || d == UInt8(ascii: "!") || d < 0x20 && d != 9 || d == 0x7f { return nil }
                    if d == UInt8(ascii: "\\") {
                        let n = s.index(after: i)
                        guard n < s.endIndex else { return nil }
                        let e = s[n]
                        if e == UInt8(ascii: "\"") || e == UInt8(ascii: "\\") { word.append(e); i = s.index(after: n); continue }
                        if e == 10 || e == UInt8(ascii: "$") || e == UInt8(ascii: "`") { return nil }
                    }
                    word.append(d); i = s.index(after: i)
                }
                guard i < s.endIndex else { return nil }
            case UInt8(ascii: "\\"):
                let n = s.index(after: i)
                guard n < s.endIndex, s[n] >= 0x20, s[n] != 0x7f else { return nil }  // a trailing or line-continuing backslash
                word.append(s[n])
                i = n
            default:
                // `NAME=value` before the command word sets a variable for it: shell syntax.
                if c == UInt8(ascii: "="), words.isEmpty, !word.isEmpty, word.allSatisfy(isNameByte) { return nil }
                word.append(c)
            }
            i = s.index(after: i)
        }
        if inWord { words.append(String(decoding: word, as: UTF8.self)) }
        // A keyword or a builtin that changes the shell itself (cd, export, source, …) means
        // something only to the shell that reads it: not a program gate could run.
        guard let first = words.first, !shellWords.contains(first) else { return nil }
        return words
    }

    static let shellWords: Set<String> = [
        ".", "source", "cd", "export", "unset", "alias", "unalias", "eval", "exec", "set", "shopt", "trap", "readonly", "declare",
        "typeset", "local", "builtin", "command", "hash", "ulimit", "umask", "pushd", "popd", "dirs", "history", "fc", "jobs", "fg",
        "bg", "wait", "disown", "enable", "let", "return", "exit", "break", "continue", "shift", "getopts", "read", "mapfile",
        "readarray", "logout", "times", "caller", "complete", "compgen", "compopt", "bind", "suspend", "coproc", "function", "if",
        "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until", "do", "done", "in", "time", "[[", "]]",
    ]

    static func isNameByte(_ c: UInt8) -> Bool {
        (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 95
    }
}
