import Foundation
import GateServer
import HummingbirdTesting
import Testing

@Suite struct HealthTests {
    @Test func healthReportsTheServersLedger() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("gate-server-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        FileManager.default.createFile(atPath: dir + "/policy", contents: Data("version 1\n".utf8), attributes: [.posixPermissions: 0o600])
        let app = try ServerApp.build(.init(port: 0, stateDirectory: dir))
        try await app.test(.router) { client in
            try await client.execute(uri: "/v1/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/json")
                let body = String(buffer: response.body)
                #expect(body.hasPrefix("{\"status\":\"ok\",\"ledger_id\":\"") && body.contains("\"ledger_entries\":0"), "\(body)")
            }
            try await client.execute(uri: "/v1/nothing-here", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}
