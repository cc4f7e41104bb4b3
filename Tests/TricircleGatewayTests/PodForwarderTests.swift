import NIOCore
import OpenStackClient
import Testing
import TricircleGateway

/// Relaying a pod's answer: links lead back to the gateway, everything else is untouched.
@Suite("Pod forwarder")
struct PodForwarderTests {
    @Test("every occurrence of the pod's origin is replaced, bytes around it kept, a body without it not copied")
    func replacesOrigins() {
        let pod = "http://127.0.0.1:8774"
        let body = ByteBuffer(string: #"{"links":[{"href":"http://127.0.0.1:8774/v2.1/servers/a"},{"href":"http://127.0.0.1:8774/v2.1/servers/a"}],"n":"http://127.0.0.1:877"}"#)
        let out = body.replacingAll(pod, with: "http://gw:19998")
        #expect(String(buffer: out) == #"{"links":[{"href":"http://gw:19998/v2.1/servers/a"},{"href":"http://gw:19998/v2.1/servers/a"}],"n":"http://127.0.0.1:877"}"#)
        let untouched = ByteBuffer(string: "no links here")
        #expect(untouched.replacingAll(pod, with: "x") == untouched)
        #expect(ByteBuffer(string: pod).replacingAll(pod, with: "") .readableBytes == 0)
    }

    @Test("relay keeps the status and version headers, drops hop-by-hop ones and rewrites Location")
    func relaysHeaders() {
        let response = RegionalResponse(
            url: "http://10.0.0.5:8776/v3/p/volumes", status: 202,
            headers: [("Content-Type", "application/json"), ("Connection", "keep-alive"),
                      ("Location", "http://10.0.0.5:8776/v3/p/volumes/v1"), ("OpenStack-API-Version", "volume 3.60")],
            body: ByteBuffer(string: #"{"href": "http://10.0.0.5:8776/v3/p/volumes/v1"}"#))
        let relayed = PodForwarder.relay(response, publicOrigin: "http://top:19997")
        #expect(relayed.status.code == 202)
        #expect(relayed.headers[.init("Location")!] == "http://top:19997/v3/p/volumes/v1")
        #expect(relayed.headers[.init("OpenStack-API-Version")!] == "volume 3.60")
        #expect(relayed.headers[.init("Connection")!] == nil)
    }
}
