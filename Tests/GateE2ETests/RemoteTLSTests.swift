import Foundation
import Testing

/// gate's client over https, through a TLS-terminating proxy in front of gate-server (as
/// examples/nginx.conf sets up): certificates and host names are verified, and anything the
/// client cannot verify is refused, never downgraded.
@Suite(.timeLimit(.minutes(3))) struct RemoteTLSTests {
    /// A self-signed certificate for `names` (subjectAltName), with its key.
    static func certificate(_ s: Sandbox, _ name: String, names: String) throws -> (cert: String, key: String) {
        let cert = s.path("\(name).crt"), key = s.path("\(name).key.pem")
        let r = try Spawned.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                                 "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=\(name)", "-addext", "subjectAltName=\(names)"])
        #expect(r.status == 0, "\(r.stderr)")
        return (cert, key)
    }

    static func proxy(_ cert: (cert: String, key: String), to port: Int) throws -> (Spawned, Int) {
        try RemoteRig.startFixture("tls_proxy.py", [cert.cert, cert.key, String(port)])
    }

    @Test func anApprovalOverHTTPSRunsAndUntrustedCertificatesAreRefused() throws {
        let rig = try RemoteRig()
        let good = try Self.certificate(rig.s, "good", names: "DNS:localhost,IP:127.0.0.1")
        let (proxy, port) = try Self.proxy(good, to: rig.port)
        defer { proxy.signal(SIGKILL); _ = proxy.finish(timeout: 5) }
        let https = "https://localhost:\(port)"
        let trust = ["GATE_SERVER": https, "GATE_SERVER_CA": good.cert]
        let requester = try rig.s.start(["--timeout", "60s", "--", "/bin/echo", "over", "tls"], env: rig.requesterEnv.merging(trust) { $1 })
        var id = ""
        for _ in 0..<500 where id.isEmpty {
            let r = try rig.s.run(["list", "--json"], env: rig.approverEnv("alice").merging(trust) { $1 })
            id = ((try? JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])?.first?["id"] as? String) ?? ""
            if id.isEmpty { usleep(30_000) }
        }
        #expect(!id.isEmpty, "no request arrived over https")
        let approved = try rig.s.run(["approve", id], env: rig.approverEnv("alice").merging(trust) { $1 })
        #expect(approved.status == 0, "\(approved.stderr)")
        let out = requester.finish()
        #expect(out.status == 0 && out.stdout == "over tls\n" && out.stderr.contains("request page: \(https)/r/"), "\(out)")
        // The same server by IP address: the certificate names 127.0.0.1 too.
        #expect(try rig.s.run(["list"], env: ["GATE_SERVER": "https://127.0.0.1:\(port)", "GATE_SERVER_CA": good.cert]).status == 0)

        // Without the CA: not trusted, exit 69, nothing sent in clear.
        let untrusted = try rig.s.run(["list"], env: ["GATE_SERVER": https])
        #expect(untrusted.status == 69 && untrusted.stderr.contains("certificate is not trusted"), "\(untrusted)")
        // A trusted certificate for another name: refused.
        let other = try Self.certificate(rig.s, "other", names: "DNS:other.example")
        let (proxy2, port2) = try Self.proxy(other, to: rig.port)
        defer { proxy2.signal(SIGKILL); _ = proxy2.finish(timeout: 5) }
        let wrongName = try rig.s.run(["list"], env: ["GATE_SERVER": "https://localhost:\(port2)", "GATE_SERVER_CA": other.cert])
        #expect(wrongName.status == 69 && wrongName.stderr.contains("not trusted"), "\(wrongName)")
        // A plain-HTTP server addressed as https: a handshake failure, not a fallback.
        let plain = try rig.s.run(["list"], env: ["GATE_SERVER": "https://127.0.0.1:\(rig.port)"])
        #expect(plain.status == 69 && plain.stderr.contains("TLS"), "\(plain)")
    }
}
