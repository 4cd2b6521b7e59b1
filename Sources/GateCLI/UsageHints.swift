import ArgumentParser
import GateSystem

/// Better words for the command lines people get wrong most: a command without `--` in front of
/// it, a misspelled subcommand, `help` of something that does not exist, an option value that
/// starts with `-`. Only consulted once argument-parser has refused a command line (or for
/// `help`), so nothing here is on the hot path or can change what a valid line means.
enum UsageHints {
    static var subcommands: [String] { GateCommand.configuration.subcommands.map { $0.configuration.commandName ?? "" } }
    /// `gate run`'s options that take a value (the word after them is not the command).
    static let runValueOptions: Set<String> = ["--reason", "--ticket", "--timeout", "--token", "--server", "--request", "--json-status"]

    /// `gate help X [Y]` names commands that exist; else a usage error (argument-parser would
    /// print the top-level help and exit 0).
    static func checkHelp(_ args: [String]) throws {
        guard args.first == "help", args.count > 1 else { return }
        var level: [ParsableCommand.Type] = GateCommand.configuration.subcommands
        var path = "gate"
        for word in args.dropFirst() where !word.hasPrefix("-") {
            guard let found = level.first(where: { $0.configuration.commandName == word }) else {
                let names = level.compactMap { $0.configuration.commandName }
                throw GateFailure.usage("'\(path) \(word)' is not a command, so there is no help for it",
                                        hint: suggestion(word, among: names).map { "did you mean 'gate help \(path == "gate" ? "" : path.dropFirst(5) + " ")\($0)'?" }
                                            ?? "\(path == "gate" ? "gate" : path) has: \(names.joined(separator: ", "))")
            }
            level = found.configuration.subcommands
            path += " " + word
        }
    }

    /// A clearer refusal than argument-parser's for a command line it rejected, or nil.
    static func explain(_ args: [String], parserMessage: String) -> GateFailure? {
        if let valueProblem = optionValueStartingWithDash(args, parserMessage: parserMessage) { return valueProblem }
        guard !args.contains("--") else { return nil }
        var i = 0
        let inRun = args.first == "run"
        if inRun { i = 1 } else if let first = args.first, subcommands.contains(first) { return nil }
        while i < args.count {
            let a = args[i]
            if a.hasPrefix("-") {
                if runValueOptions.contains(a) { i += 1 }
                i += 1
                continue
            }
            let before = Array(args[..<i]), command = Array(args[i...])
            let fixed = "gate " + ShellQuote.join(before + ["--"] + command)
            if !inRun, i == 0, let near = suggestion(a, among: subcommands) {
                return .usage("'\(a)' is not a gate subcommand", hint: "did you mean 'gate \(near)'? To run a command named \(a): gate -- \(ShellQuote.join(command))")
            }
            return .usage("'\(a)' is not a gate subcommand or option: put -- before the command to run",
                          hint: fixed)
        }
        return nil
    }

    /// `--timeout -1s`: argument-parser reads `-1s` as an option and says "Missing value".
    static func optionValueStartingWithDash(_ args: [String], parserMessage: String) -> GateFailure? {
        guard parserMessage.hasPrefix("Missing value for '--") else { return nil }
        for (i, a) in args.enumerated() where parserMessage.hasPrefix("Missing value for '\(a)") && i + 1 < args.count && args[i + 1].hasPrefix("-") {
            if a == "--timeout" || a == "--ttl" {
                return .usage("\(a) '\(args[i + 1])' is not allowed: a duration is positive", hint: "a number and a unit, from 1s to \(a == "--ttl" ? "7d" : "366d"): 90s, 15m, 2h")
            }
            return .usage("\(a) needs a value, and '\(args[i + 1])' looks like an option", hint: "to give a value that starts with '-', write \(a)=\(args[i + 1])")
        }
        return nil
    }

    /// The subcommand `word` was probably meant to be: a prefix of one, or at most two edits away.
    static func suggestion(_ word: String, among names: [String]) -> String? {
        let w = Array(word.lowercased().utf8)
        guard w.count >= 2 else { return nil }
        let scored = names.map { ($0, distance(w, Array($0.utf8))) }.filter { $0.1 <= (w.count <= 3 ? 1 : 2) }
        return scored.min { $0.1 < $1.1 }?.0 ?? names.first { $0.hasPrefix(word) && word.count >= 3 }
    }

    static func distance(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var previous = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var current = [i + 1]
            for (j, y) in b.enumerated() {
                current.append(min(previous[j + 1] + 1, current[j] + 1, previous[j] + (x == y ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}
