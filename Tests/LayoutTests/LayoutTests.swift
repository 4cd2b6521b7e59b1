import Foundation
import Testing

/// The module cuts of Package.swift's module map, checked on the sources. SwiftPM lets a file
/// import any module that happens to be built before it, so the graph alone does not stop a flow
/// from importing SQLite: these tests do. They read Package.swift and Sources/ only.
@Suite struct LayoutTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let package = Manifest(text: try! String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8))

    /// Every import of one of the package's own modules is a dependency the manifest declares:
    /// nothing reaches past the graph.
    @Test func importsFollowTheDeclaredGraph() throws {
        var broken: [String] = []
        for (module, files) in try Self.sources() {
            let declared = Self.package.dependencies[module] ?? []
            for (file, imports) in files {
                for i in imports where Self.package.dependencies.keys.contains(i.module) && i.module != module && !declared.contains(i.module) {
                    broken.append("\(file) imports \(i.module), which \(module) does not declare")
                }
            }
        }
        #expect(broken == [])
    }

    /// SQL stays in the store: only GateStore imports GateSQLite, and only internally, so no type
    /// of it appears in the store's API.
    @Test func onlyTheStoreSpeaksSQL() throws {
        for (module, files) in try Self.sources() where module != "GateSQLite" {
            for (file, imports) in files {
                for i in imports where i.module == "GateSQLite" || i.module == "CSQLite" {
                    #expect(module == "GateStore" && i.access == "internal", "\(file): \(i.line)")
                }
            }
        }
    }

    /// The server does not link the client or the flows; `gate` links no NIO, no Hummingbird.
    @Test func theBinariesLinkOnlyTheirSide() {
        let server = Self.package.closure(of: "gate-server")
        #expect(!server.contains("GateClient") && !server.contains("GateFlows") && !server.contains("GateCLI"))
        #expect(server.contains("GateStore") && server.contains("GateServer"))
        for binary in ["gate", "gate-commands"] {
            let closure = Self.package.closure(of: binary)
            for heavy in ["GateServer", "Hummingbird", "AsyncHTTPClient", "ServiceLifecycle"] {
                #expect(!closure.contains(heavy), "\(binary) links \(heavy)")
            }
        }
        // `gate` itself is the hot path: no argument-parser (and its FoundationEssentials), and
        // none of the commands built on it.
        let gate = Self.package.closure(of: "gate")
        #expect(gate.contains("GateRun") && gate.contains("GateFlows"))
        for heavy in ["ArgumentParser", "GateCLI", "GateDaemon", "GateMCP"] { #expect(!gate.contains(heavy), "gate links \(heavy)") }
        #expect(Self.package.closure(of: "gate-commands").contains("GateCLI"))
    }

    /// The pure core does no I/O: GateWire and GateCore import no system module.
    @Test func theCoreIsPure() throws {
        let allowed: Set<String> = ["GateWire", "GateCrypto", "GateCore", "Synchronization"]
        for (module, files) in try Self.sources() where module == "GateCore" || module == "GateWire" {
            for (file, imports) in files {
                for i in imports { #expect(allowed.contains(i.module), "\(file) imports \(i.module)") }
            }
        }
    }

    /// In `gate`, only the client module opens a socket: the network ones and the daemon's unix
    /// socket, both ends (the syslog mirror's AF_UNIX datagram socket to /dev/log is local).
    @Test func onlyTheClientOpensNetworkSockets() throws {
        let gate = Self.package.closure(of: "gate").union(Self.package.closure(of: "gate-commands"))
        for (module, files) in try Self.sources() where gate.contains(module) && module != "GateClient" {
            for (file, _) in files {
                let text = try String(contentsOf: Self.root.appendingPathComponent(file), encoding: .utf8)
                for word in ["getaddrinfo", "SOCK_STREAM", "AF_INET", "SSL_connect"] {
                    #expect(!text.contains(word), "\(file) uses \(word)")
                }
            }
        }
    }

    /// One concept per file: no source file above 300 lines.
    @Test func filesStaySmall() throws {
        for (module, files) in try Self.sources() {
            for (file, _) in files {
                let lines = try String(contentsOf: Self.root.appendingPathComponent(file), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).count
                #expect(lines <= 300, "\(file) (\(module)) has \(lines) lines")
            }
        }
    }

    /// The run is three named steps that hand on one value: no function on its path takes more
    /// than five parameters (a sixth is a sign the value is missing a field).
    @Test func theRunPathTakesFewParameters() throws {
        let run = Self.root.appendingPathComponent("Sources/GateFlows/Run")
        let files = try FileManager.default.contentsOfDirectory(atPath: run.path).filter { $0.hasSuffix(".swift") }
        #expect(files.count >= 5)
        // The counter itself: nested types and closures are one parameter each.
        let sample = Array("func f(a: Int, b: (Int, Int) -> Void, c: [String: Int]) {}\n init(x: Int) {}\n func g() {}\n func h<T>(_ t: T, u: T, v: T, w: T, x: T, y: T) {}")
        #expect(Self.parameterCounts(sample).map { "\($0.0) \($0.1)" } == ["f 3", "init 1", "g 0", "h 6"])
        for file in files {
            let text = Array(try String(contentsOf: run.appendingPathComponent(file), encoding: .utf8))
            for (name, count) in Self.parameterCounts(text) {
                #expect(count <= 5, "\(file): \(name) takes \(count) parameters")
            }
        }
    }

    /// Each `func NAME(` or `init(` with its number of parameters (top-level commas + 1).
    static func parameterCounts(_ text: [Character]) -> [(String, Int)] {
        var out: [(String, Int)] = []
        var i = 0
        while i < text.count {
            var name: String?
            if text[i...].starts(with: "func ") {
                var j = i + 5
                var n = ""
                while j < text.count, text[j] != "(", text[j] != "<", text[j] != " " { n.append(text[j]); j += 1 }
                while j < text.count, text[j] != "(" { j += 1 }
                name = n
                i = j
            } else if text[i...].starts(with: "init("), i == 0 || !(text[i - 1].isLetter || text[i - 1] == ".") {
                name = "init"
                i += 4
            }
            guard let name, i < text.count, text[i] == "(" else { i += 1; continue }
            var depth = 0, commas = 0, empty = true
            repeat {
                let c = text[i]
                let arrow = c == ">" && i > 0 && text[i - 1] == "-"
                if "([{<".contains(c) { depth += 1 } else if ")]}>".contains(c), !arrow { depth -= 1 }
                else if c == ",", depth == 1 { commas += 1 }
                else if depth == 1, !c.isWhitespace { empty = false }
                i += 1
            } while depth > 0 && i < text.count
            out.append((name, empty ? 0 : commas + 1))
        }
        return out
    }

    /// The module map in Package.swift names every module the package builds.
    @Test func theModuleMapNamesEveryModule() {
        for module in Self.package.dependencies.keys where !module.hasSuffix("Tests") {
            let named = Self.package.text.split(separator: "\n").contains { line in
                line.hasPrefix("//") && line.split(whereSeparator: { $0 == " " || $0 == "," }).contains { $0 == module }
            }
            #expect(named, "\(module) is not in the module map")
        }
    }

    struct Import { var module: String; var access: String; var line: String }

    /// Module name → [(file relative to the root, its imports)], for every Swift module in Sources/.
    static func sources() throws -> [String: [(String, [Import])]] {
        var result: [String: [(String, [Import])]] = [:]
        let sources = root.appendingPathComponent("Sources")
        for module in try FileManager.default.contentsOfDirectory(atPath: sources.path).sorted() {
            guard let walk = FileManager.default.enumerator(atPath: sources.appendingPathComponent(module).path) else { continue }
            for case let path as String in walk where path.hasSuffix(".swift") {
                let file = "Sources/\(module)/\(path)"
                let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
                var imports: [Import] = []
                for line in text.split(separator: "\n") {
                    let words = line.split(separator: " ").map(String.init)
                    guard let at = words.firstIndex(of: "import"), at + 1 < words.count, at <= 2 else { continue }
                    let modifiers = words[..<at]
                    guard modifiers.allSatisfy({ ["@testable", "internal", "public", "package", "@_exported", "private", "fileprivate"].contains($0) }) else { continue }
                    let access = modifiers.first { ["internal", "public", "package", "private", "fileprivate"].contains($0) } ?? "public"
                    imports.append(Import(module: words[at + 1], access: access, line: String(line)))
                }
                result[module, default: []].append((file, imports))
            }
        }
        return result
    }
}

/// The targets of Package.swift and their dependencies, read from its text (`name: "X"` and the
/// quoted names and `.product(name:)`s in its `dependencies: [...]`).
struct Manifest {
    let text: String
    var dependencies: [String: [String]] = [:]

    init(text: String) {
        self.text = text
        let uniform = text.replacingOccurrences(of: ".target(name:", with: ".Target(name:")
            .replacingOccurrences(of: ".systemLibrary(name:", with: ".Target(name:")
        let targets = uniform.components(separatedBy: "Target(name: \"").dropFirst()
        for t in targets {
            let name = String(t.prefix { $0 != "\"" })
            var deps: [String] = []
            if let open = t.range(of: "dependencies: [") {
                var depth = 1
                var body = ""
                for c in t[open.upperBound...] {
                    if c == "[" { depth += 1 }
                    if c == "]" { depth -= 1; if depth == 0 { break } }
                    body.append(c)
                }
                for part in body.components(separatedBy: "\"").enumerated() where part.offset % 2 == 1 {
                    deps.append(part.element)
                }
            }
            dependencies[name] = deps
        }
    }

    /// Everything `target` links: its dependencies, theirs, and so on (product names included).
    func closure(of target: String) -> Set<String> {
        var seen: Set<String> = []
        var todo = [target]
        while let t = todo.popLast() {
            for d in dependencies[t] ?? [] where !seen.contains(d) {
                seen.insert(d)
                todo.append(d)
            }
        }
        return seen
    }
}
