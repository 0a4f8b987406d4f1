import PgClient
import Testing

import PgScorer

/// How the gateway reads what devices send, before anything reaches the database.
@Suite("Telemetry decoding")
struct TelemetryDecodingTests {
    let arrival = PostgresTimestamp.utc("2026-12-03T10:00:00Z")

    @Test("line protocol: the measurement is the sensor, the device tag the device, numeric fields in key order the features")
    func lineProtocol() {
        let body = """
            # a comment, then a blank line

            temp,device=pump-1,site=north value=21.5 1764680000000000000
            vib,device=pump-2 z=3,x=1i,y=2u 1764680000000000000
            temp,device=pump\\ 3 value=-1.5e1
            """
        let decoded = LineProtocol().decode(Array(body.utf8), arrival: arrival)
        #expect(decoded.rejections.isEmpty, "\(decoded.rejections)")
        #expect(decoded.readings.map(\.device) == ["pump-1", "pump-2", "pump 3"])
        #expect(decoded.readings.map(\.sensor) == ["temp", "vib", "temp"])
        #expect(decoded.readings.map(\.features) == [[21.5], [1, 2, 3], [-15]])
        #expect(decoded.readings[0].ts == PostgresTimestamp(unixMicroseconds: 1_764_680_000_000_000))
        #expect(decoded.readings[2].ts == arrival, "a line without a time is stamped on arrival")
        #expect(decoded.readings[0].payload == "temp,device=pump-1,site=north value=21.5 1764680000000000000")
    }

    @Test("line protocol precision: ns, us, ms and s name the same instant")
    func precision() {
        let instant = PostgresTimestamp(unixMicroseconds: 1_764_680_000_123_000)
        for (name, count) in [("ns", "1764680000123000000"), ("us", "1764680000123000"), ("ms", "1764680000123"), ("s", "1764680000.123")] {
            let precision = LineProtocol.Precision(parameter: name)!
            let decoded = LineProtocol(precision: precision).decode(Array("t,device=d value=1 \(count)".utf8), arrival: arrival)
            if name == "s" {
                #expect(decoded.rejections.first?.reason == .time, "a fractional count is not a time")
            } else {
                #expect(decoded.readings.first?.ts == instant, "\(name)")
            }
        }
        #expect(LineProtocol.Precision(parameter: "h") == nil)
    }

    @Test("line protocol refuses each bad line with its number and reason, and keeps the others")
    func badLines() {
        let body = """
            temp,device=pump-1 value=1 1764680000000000000
            temp value=1
            temp,device=pump-1 status="ok"
            temp,device=pump-1 value=true
            temp,device=pump-1
            temp,device=pump-1 value=1 soon
            temp,device=pump-1 value=abc
            """
        let decoded = LineProtocol().decode(Array(body.utf8), arrival: arrival)
        #expect(decoded.readings.count == 1)
        let details = decoded.rejections.map(\.detail)
        #expect(details.count == 6)
        #expect(details[0].hasPrefix("line 2: the line has no device tag"))
        #expect(details[1].hasPrefix("line 3: field 'status' is the string \"ok\""))
        #expect(details[2].hasPrefix("line 4: field 'value' is the boolean true"))
        #expect(details[3].hasPrefix("line 5: the line has no fields"))
        #expect(details[4].hasPrefix("line 6: 'soon' is not a time") && decoded.rejections[4].reason == .time)
        #expect(details[5].hasPrefix("line 7: field 'value' is 'abc', not a number"))
        #expect(decoded.rejections[1].payload == "temp,device=pump-1 status=\"ok\"")
    }

    @Test("JSON lines and MQTT payloads: value, values, a bare number; ISO 8601 or epoch s/ms/µs/ns")
    func json() {
        let lines = """
            {"device":"pump-1","sensor":"temp","ts":"2026-12-02T10:00:00Z","value":21.5}
            {"device":"pump-1","sensor":"vib","ts":1796205600,"values":[1,2.5]}
            {"device":"pump-1","sensor":"temp"}
            {"sensor":"temp","value":1}
            not json
            """
        let decoded = TelemetryJSON.decodeLines(Array(lines.utf8), arrival: arrival)
        #expect(decoded.readings.map(\.features) == [[21.5], [1, 2.5]])
        #expect(decoded.readings[0].ts == .utc("2026-12-02T10:00:00Z"))
        #expect(decoded.readings[1].ts == .utc("2026-12-02T10:00:00Z"))
        #expect(decoded.rejections.map(\.detail) == [
            "line 3: the object has neither \"value\" nor \"values\"",
            "line 4: the object needs \"device\" and \"sensor\" (strings)",
            "line 5: not a JSON object",
        ])
        let ten = PostgresTimestamp.utc("2026-12-02T10:00:00Z")
        for ts in ["1796205600", "1796205600000", "1796205600000000", "1796205600000000000", "\"2026-12-02T11:00:00+01:00\""] {
            let message = TelemetryJSON.decodeMessage(Array("{\"ts\":\(ts),\"value\":1}".utf8), device: "d", sensor: "s", arrival: arrival)
            #expect((try? message.get())?.ts == ten, "\(ts)")
        }
        #expect((try? TelemetryJSON.decodeMessage(Array("42.5".utf8), device: "d", sensor: "s", arrival: arrival).get()) == Telemetry(
            device: "d", sensor: "s", ts: arrival, features: [42.5], payload: "42.5"))
        for (payload, reason) in [("true", Rejection.Reason.malformed), ("{\"value\":\"7\"}", .malformed), ("{\"values\":[]}", .malformed),
                                  ("{\"ts\":\"yesterday\",\"value\":1}", .time), ("{\"ts\":\"2026-12-02T10:00:00\",\"value\":1}", .time), ("\u{1}", .malformed)] {
            let message = TelemetryJSON.decodeMessage(Array(payload.utf8), device: "d", sensor: "s", arrival: arrival)
            guard case .failure(let rejection) = message else {
                Issue.record("\(payload) was taken")
                continue
            }
            #expect(rejection.reason == reason, "\(payload): \(rejection)")
            #expect(rejection.payload == payload)
        }
    }

    @Test("the rules every reading passes: printable names, finite values, a time from 2000 to a day ahead")
    func rules() {
        let rules = TelemetryRules()
        func check(device: String = "pump-1", ts: PostgresTimestamp? = nil, features: [Double] = [1]) -> Rejection.Reason? {
            let reading = Telemetry(device: device, sensor: "temp", ts: ts ?? arrival, features: features, payload: "p")
            if case .failure(let rejection) = rules.check(reading, now: arrival) { return rejection.reason }
            return nil
        }
        #expect(check() == nil)
        #expect(check(device: "pump\u{1B}[2J") == .name)
        #expect(check(device: "") == .name)
        #expect(check(features: [.nan]) == .malformed)
        #expect(check(features: [.infinity]) == .malformed)
        #expect(check(ts: .utc("1970-01-01T00:00:00Z")) == .time)
        #expect(check(ts: .utc("2026-12-04T09:59:00Z")) == nil)
        #expect(check(ts: .utc("2026-12-04T10:01:00Z")) == .time)
        #expect(TelemetryRules.payloadText([0x61, 0x00, 0xFF]) == "a\u{FFFD}\u{FFFD}")
    }

    @Test("topic templates: {device} and {sensor} become + in the filter; other shapes do not match")
    func topics() throws {
        let template = try TopicTemplate("plant/{device}/{sensor}")
        #expect(template.filter == "plant/+/+")
        #expect(template.match("plant/pump-1/temp")! == ("pump-1", "temp"))
        #expect(template.match("plant/pump-1/temp/extra") == nil)
        #expect(template.match("other/pump-1/temp") == nil)
        let deep = try TopicTemplate("site/+/{sensor}/{device}/#")
        #expect(deep.filter == "site/+/+/+/#")
        #expect(deep.match("site/north/temp/pump-1/raw/v2")! == ("pump-1", "temp"))
        for bad in ["plant/{device}", "plant/{device}/{device}/{sensor}", "plant/x{device}/{sensor}", "plant/#/{device}/{sensor}"] {
            #expect(throws: TopicTemplate.Invalid.self, "\(bad)") { try TopicTemplate(bad) }
        }
    }

    @Test("broker addresses: mqtt:// and mqtts:// with default ports, credentials kept out of the description")
    func addresses() throws {
        let plain = try MQTTAddress("mqtt://broker.local")
        #expect(plain.port == 1883 && !plain.tls)
        let secure = try MQTTAddress("mqtts://gw:s3cret@broker.local:9883")
        #expect(secure.port == 9883 && secure.tls && secure.username == "gw" && secure.password == "s3cret")
        #expect(secure.description == "mqtts://gw@broker.local:9883")
        for bad in ["http://broker", "broker:1883", "mqtt://", "mqtt://broker/plant"] {
            #expect(throws: MQTTAddress.Invalid.self, "\(bad)") { try MQTTAddress(bad) }
        }
    }

    @Test("token scopes: a sensor pattern is SQL LIKE with escapes, as stored")
    func likePatterns() {
        #expect(LikePattern.matches("temp", "%"))
        #expect(LikePattern.matches("temp_2", "temp%"))
        #expect(!LikePattern.matches("hum", "temp%"))
        #expect(LikePattern.matches("temp_2", "temp\\_2"))
        #expect(!LikePattern.matches("tempX2", "temp\\_2"))
        #expect(LikePattern.matches("a-b-c", "a%c"))
        let grant = DeviceGrant(tokenID: 1, device: "pump-1", sensorPattern: "temp%")
        #expect(grant.allows(device: "pump-1", sensor: "temp_in"))
        #expect(!grant.allows(device: "pump-2", sensor: "temp_in"))
    }
}
