import Foundation

/// Test vectors are data files, one scenario each, with an `expect:` header (age's style).
struct Vector {
    let name: String
    let fields: [String: [String]]

    var expect: String { fields["expect"]?.first ?? "" }
    func one(_ key: String) -> String { fields[key]?.first ?? "" }

    static func all(in folder: String) throws -> [Vector] {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/\(folder)")
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".txt") }.sorted()
        return try names.map { name in
            let text = try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
            var fields: [String: [String]] = [:]
            for line in text.split(separator: "\n", omittingEmptySubsequences: true) where !line.hasPrefix("#") {
                if let r = line.range(of: ": ") {
                    fields[String(line[..<r.lowerBound]), default: []].append(String(line[r.upperBound...]))
                } else if line.hasSuffix(":") {
                    fields[String(line.dropLast()), default: []].append("")
                }
            }
            return Vector(name: name, fields: fields)
        }
    }
}

func hexBytes(_ s: String) -> [UInt8] {
    var out: [UInt8] = []
    var i = s.startIndex
    while i < s.endIndex {
        let j = s.index(i, offsetBy: 2)
        out.append(UInt8(s[i..<j], radix: 16)!)
        i = j
    }
    return out
}
