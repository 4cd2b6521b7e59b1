import GateCore
import GateWire
import Testing

/// JSON is hashed as stored (ledger payloads), so its serialisation must never drift: exact
/// golden output, and parse ∘ serialise is the identity on any string.
@Suite struct JSONTests {
    @Test func serialisationIsExactlyThis() {
        let v: JSON = .object([
            ("s", .string("a\"b\\c\nd\re\tf\u{0}g\u{1b}h\u{7f}i\u{85}j\u{9f}k\u{a0}l\u{2028}m\u{2029}né😀")),
            ("n", .int(-42)), ("a", .array([.bool(false), .null, .array([])])), ("o", .object([])),
        ])
        let expected = #"{"s":"a\"b\\c\nd\re\tf\u0000g\u001bh\u007fi\u0085j\u009fk"# + "\u{a0}" +
            #"l\u2028m\u2029né😀","n":-42,"a":[false,null,[]],"o":{}}"#
        #expect(v.serialized() == expected)
        #expect(JSON.object([("k", .array([.int(1)]))]).serialized(pretty: true) == "{\n  \"k\": [\n    1\n  ]\n}")
    }

    /// A key twice in one object is refused (gate read the first, Python's json the last: one
    /// document, two readings). Keys are compared as bytes: two Unicode forms are two keys.
    @Test func aKeyTwiceIsRefused() throws {
        #expect(throws: WireError.self) { _ = try JSON.parse(#"{"argv":["rm"],"argv":["true"]}"#) }
        #expect(throws: WireError.self) { _ = try JSON.parse(#"{"a":{"x":1,"x":1}}"#) }
        let many = (0..<100).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        #expect(throws: WireError.self) { _ = try JSON.parse("{" + many + ",\"k7\":0}") }
        #expect(try JSON.parse("{" + many + "}")["k99"]?.intValue == 99)
        let two = try JSON.parse("{\"\u{E9}\":1,\"e\u{301}\":2}")
        if case .object(let pairs) = two { #expect(pairs.count == 2) } else { Issue.record("not an object") }
    }

    @Test func parsingDecodesEveryEscape() throws {
        #expect(try JSON.parse(#""\u00e9\ud83d\ude00\/\b\f""#) == .string("é😀/\u{8}\u{c}"))
        #expect(try JSON.parse(#"{"a":"plain","b":"x\"y"}"#) == .object([("a", .string("plain")), ("b", .string("x\"y"))]))
        for bad in [#""\ud83d""#, #""\ude00""#, "\"a\u{1}\"", #""\x""#, #""abc"#, #""\u12""#] {
            #expect(throws: WireError.self, "\(bad)") { try JSON.parse(bad) }
        }
    }

    @Test func roundTripOnRandomStrings() throws {
        var rng = SplitMix(seed: 0x6a73_6f6e)
        let pool: [UInt32] = [0, 9, 10, 13, 0x1b, 0x22, 0x5c, 0x2f, 0x7f, 0x80, 0x85, 0x9f, 0xa0, 0xe9, 0x2028, 0x2029, 0xfeff, 0x1f600, 0x41, 0x7a]
        for _ in 0..<5_000 {
            var s = ""
            for _ in 0..<Int(rng.next() % 24) {
                let v = rng.next() % 3 == 0 ? UInt32(rng.next() % 0x11000) : pool[Int(rng.next() % UInt64(pool.count))]
                if let u = Unicode.Scalar(v) { s.unicodeScalars.append(u) }
            }
            let text = JSON.string(s).serialized()
            #expect(!text.unicodeScalars.contains { $0.isTerminalControl })
            #expect(try JSON.parse(text) == .string(s))
        }
    }
}

@Suite struct JSONNumberAndPlanTests {
    @Test func numbersOtherThanIntegersAreKeptExactly() throws {
        for text in ["0.5", "-1.25e-3", "1E+2", "12345678901234567890", "-0.0"] {
            let v = try JSON.parse(text)
            #expect(v == .number(text), "\(text)")
            #expect(v.serialized() == text)
        }
        #expect(try JSON.parse("-42") == .int(-42))
        for bad in ["01", "1.", "-", ".5", "1e", "+1", "0x10"] {
            #expect(throws: WireError.self, "\(bad)") { try JSON.parse(bad) }
        }
    }

    @Test func terraformPlanSummary() throws {
        let plan = try JSON.parse("""
            {"format_version":"1.2","terraform_version":"1.9.0","planned_values":{"root_module":{"resources":[{"values":{"ratio":0.75,"max":1e3}}]}},
             "resource_changes":[
               {"address":"aws_s3_bucket.logs","change":{"actions":["create"]}},
               {"address":"aws_db_instance.main","change":{"actions":["delete"]}},
               {"address":"aws_instance.web","change":{"actions":["update"]}},
               {"address":"aws_instance.api","change":{"actions":["delete","create"]}},
               {"address":"data.aws_ami.x","change":{"actions":["read"]}},
               {"address":"aws_iam_role.r","change":{"actions":["no-op"]}}]}
            """)
        let s = try #require(PlanSummary.terraform(plan))
        #expect(s == PlanSummary(add: 1, change: 1, destroy: 1, replace: 1))
        #expect(s.description == "Plan: 2 to add, 1 to change, 2 to destroy (1 replaced)")
        #expect(PlanSummary.terraform(try JSON.parse(#"{"kind":"List"}"#)) == nil)
    }
}
