"""Templates of payloads hiding forbidden data, as real SDKs and APIs send them (shapes from
the public references of Google Maps/Mapbox/HERE/OSM/Bing, Uber H3, MGRS/UTM, OGC WKT/WKB,
GeoJSON, KML/GPX, Apple HealthKit/Google Fit/Strava, Android ContactsContract, iOS Contacts,
vCard/LDIF, Slack, Telegram, WhatsApp Cloud, LINE, Discord, Twilio, Matrix, Messenger, MIME
mail, Node Buffer, Python/Java/Go/Swift/Kotlin byte notations, OpenRTB/AppsFlyer/Adjust).

Each template takes a `Vary` (one city, one person, ...) and returns (properties, canaries,
extra): canaries are values that must reach no destination; extra merges into the event
(context.device for ad IDs). `SPLIT` holds the templates kept out of the development loop.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from tests.policy.corpus import encoders as enc

CITIES = [
    (35.681236, 139.767125), (34.702485, 135.495951), (43.068661, 141.350755),
    (33.589886, 130.420685), (26.212401, 127.680932), (40.712776, -74.005974),
    (51.507351, -0.127758), (-33.868820, 151.209290),
]  # fmt: skip
PEOPLE = [
    ("Hanako", "Sato", "+81 90-1234-5678", "hanako.sato@example.jp"),
    ("Taro", "Yamada", "080-2345-6789", "taro.yamada@example.co.jp"),
    ("花子", "佐藤", "090-3456-7890", "sato.h@example.ne.jp"),
    ("Maria", "Garcia", "+1 415-555-0132", "maria.garcia@example.com"),
    ("John", "Smith", "+44 20 7946 0958", "john.smith@example.co.uk"),
    ("一郎", "鈴木", "03-5860-7565", "ichiro.suzuki@example.jp"),
]
PEOPLE2 = [
    ("Yuki", "Tanaka", "070-4567-8901", "yuki.t@example.jp"),
    ("Ken", "Watanabe", "+81 80-9876-5432", "ken.w@example.org"),
    ("Emma", "Brown", "+1 212-555-0199", "emma.brown@example.net"),
    ("美咲", "高橋", "090-1111-2222", "misaki.takahashi@example.jp"),
    ("Li", "Wei", "+86 138 0013 8000", "li.wei@example.cn"),
    ("Anna", "Müller", "+49 30 901820", "anna.mueller@example.de"),
]
TEXTS = [
    "Hey, are we still meeting at the station at 7?",
    "明日の会議は10時からに変更になりました。よろしくお願いします。",
    "Can you send me the document before Friday? Thanks!",
    "ごめん、今日は遅れる。先に始めてて",
    "I'll pick up the kids after school, don't worry",
    "Happy birthday!! Let's celebrate this weekend 🎉",
]
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00H\x00H\x00\x00" + bytes(range(40, 120))
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00\x00\x00\x01\x00\x08\x06" + bytes(60)
HEIC = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + bytes(range(70))
MP4 = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + bytes(range(70))
GIF = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04" + bytes(60)
WEBP = b"RIFF\x24\x10\x00\x00WEBPVP8 \x18\x00\x00\x000\x01\x00\x9d\x01\x2a" + bytes(60)
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00qt  \x00\x00\x00\x08wide" + bytes(60)
MEDIA = [JPEG, PNG, HEIC, MP4, GIF, WEBP, MOV]
IDFAS = [
    "6D92078A-8246-4BA4-AE5B-76104861E7DC", "AEBE52E7-03EE-455A-B3C4-E57283966239",
    "38400000-8cf0-11bd-b23e-10b96e40000d", "cdda802e-fb9c-47ad-9866-0794d394c912",
]  # fmt: skip
IPS = ["203.0.113.57", "198.51.100.23", "192.0.2.201", "2001:db8:85a3::8a2e:370:7334"]


@dataclass(frozen=True)
class Vary:
    n: int

    @property
    def city(self) -> tuple[float, float]:
        return CITIES[self.n % len(CITIES)]

    @property
    def near(self) -> list[tuple[float, float]]:
        lat, lng = self.city
        return [(round(lat + i * 0.0013, 6), round(lng + i * 0.0021, 6)) for i in range(4)]

    @property
    def person(self) -> tuple[str, str, str, str]:
        return PEOPLE[self.n % len(PEOPLE)]

    @property
    def other(self) -> tuple[str, str, str, str]:
        return PEOPLE2[self.n % len(PEOPLE2)]

    @property
    def text(self) -> str:
        return TEXTS[self.n % len(TEXTS)]

    @property
    def media(self) -> bytes:
        return MEDIA[self.n % len(MEDIA)]

    @property
    def idfa(self) -> str:
        return IDFAS[self.n % len(IDFAS)]

    @property
    def ip(self) -> str:
        return IPS[self.n % len(IPS)]


Out = tuple[dict[str, Any], list[Any], dict[str, Any]]
Template = Callable[[Vary], Out]


def _p(props: dict[str, Any], *canaries: Any, extra: dict[str, Any] | None = None) -> Out:
    return props, list(canaries), extra or {}


# ---------------------------------------------------------------- location
def loc_polyline(v: Vary) -> Out:
    line = enc.polyline(v.near)
    return _p({"route_id": f"r-{v.n}", "overview_polyline": {"points": line}}, line)


def loc_polyline_plain(v: Vary) -> Out:
    line = enc.polyline(v.near, 6 if v.n % 2 else 5)
    return _p({"shape": line, "duration_s": 740 + v.n}, line)


def loc_geohash(v: Vary) -> Out:
    gh = enc.geohash(*v.city, 9)
    return _p({"store_area": gh, "radius_m": 500}, gh)


def loc_geohash_mixed(v: Vary) -> Out:
    gh = enc.geohash(*v.city, 8 + v.n % 3)
    return _p({"meta": {"gh": gh, "source": "fused"}}, gh)


def loc_h3(v: Vary) -> Out:
    cell = ["8928308280fffff", "872830828ffffff", "8a2f5aadc167fff", "882f5aad11fffff",
            "89283082803ffff", "8c2f5aadc1601ff"][v.n % 6]  # fmt: skip
    return _p({"hex": cell, "resolution": 9}, cell)


def loc_quadkey(v: Vary) -> Out:
    qk = enc.quadkey(*v.city, 16 + v.n % 4)
    return _p({"tile": qk, "zoom": 16}, qk)


def loc_mgrs(v: Vary) -> Out:
    grid = ["54SUE8503143741", "53SPU2736837519", "54TXN2151172233", "18TWL8395407362",
            "30UXC9924911648", "56HLH3475951249"][v.n % 6]  # fmt: skip
    return _p({"grid_ref": grid, "precision": "1m"}, grid)


def loc_utm(v: Vary) -> Out:
    utm = ["54S 388455 3949795", "53S 368412 3842270", "18T 583960 4507523",
           "30U 699316 5710164", "56H 334368 6250948"][v.n % 5]  # fmt: skip
    return _p({"utm": utm}, utm)


def loc_wkt(v: Vary) -> Out:
    lat, lng = v.city
    wkt = f"POINT({lng} {lat})" if v.n % 2 else f"SRID=4326;POINT({lng} {lat})"
    return _p({"geom": wkt}, wkt)


def loc_wkt_line(v: Vary) -> Out:
    pts = ", ".join(f"{lng} {lat}" for lat, lng in v.near)
    wkt = f"LINESTRING({pts})"
    return _p({"track_geom": wkt, "distance_km": 1.2}, wkt)


def loc_wkb(v: Vary) -> Out:
    hexed = enc.wkb_point_hex(*v.city, srid=bool(v.n % 2))
    return _p({"the_geom": hexed}, hexed)


def loc_geojson(v: Vary) -> Out:
    lat, lng = v.city
    feat = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lng, lat]},
            "properties": {"name": "pin"}}  # fmt: skip
    return _p({"feature": feat}, lat, lng)


def loc_geojson_line(v: Vary) -> Out:
    coords = [[lng, lat] for lat, lng in v.near]
    return _p({"run": {"type": "LineString", "coordinates": coords}}, coords[0][0], coords[1][1])


def loc_mercator(v: Vary) -> Out:
    x, y = enc.mercator(*v.city)
    return _p({"map_view": {"x": x, "y": y, "crs": "EPSG:3857"}}, x, y)


def loc_dms(v: Vary) -> Out:
    lat, lng = v.city
    text = f"{enc.dms(lat, 'N', 'S')} {enc.dms(lng, 'E', 'W')}"
    return _p({"where": text}, text)


def loc_ddm(v: Vary) -> Out:
    lat, lng = v.city
    text = f"{enc.ddm(lat, 'N', 'S')}, {enc.ddm(lng, 'E', 'W')}"
    return _p({"note": text}, text)


def loc_kml(v: Vary) -> Out:
    lat, lng = v.city
    kml = f"<Placemark><name>here</name><Point><coordinates>{lng},{lat},0</coordinates></Point></Placemark>"
    return _p({"export": kml}, f"{lng},{lat}")


def loc_gpx(v: Vary) -> Out:
    pts = "".join(f'<trkpt lat="{a}" lon="{b}"><ele>12.0</ele></trkpt>' for a, b in v.near)
    return _p({"gpx": f"<gpx><trk><trkseg>{pts}</trkseg></trk></gpx>"}, str(v.near[0][0]))


def loc_url_ll(v: Vary) -> Out:
    lat, lng = v.city
    url = f"https://maps.apple.com/?ll={lat},{lng}&q=Pin"
    return _p({"share_url": url}, f"{lat},{lng}")


def loc_url_bing(v: Vary) -> Out:
    lat, lng = v.city
    url = f"https://www.bing.com/maps?cp={lat}~{lng}&lvl=16"
    return _p({"link": url}, f"{lat}~{lng}")


def loc_url_osm(v: Vary) -> Out:
    lat, lng = v.city
    url = f"https://www.openstreetmap.org/#map=17/{lat}/{lng}"
    return _p({"ref": url}, f"{lat}/{lng}")


def loc_url_static(v: Vary) -> Out:
    lat, lng = v.city
    url = f"https://api.mapbox.com/styles/v1/mapbox/streets-v12/static/{lng},{lat},14,0/600x400?access_token=pk.x"
    return _p({"thumb": url}, f"{lng},{lat}")


def loc_fit_samples(v: Vary) -> Out:
    samples = [{"t": 1715000000 + i * 5, "la": a, "lo": b, "hr": 120 + i}
               for i, (a, b) in enumerate(v.near)]  # fmt: skip
    return _p({"workout": {"samples": samples, "sport": "running"}}, v.near[0][0], v.near[2][1])


def loc_array_trace(v: Vary) -> Out:
    trace = [[a, b, 1715000000 + i] for i, (a, b) in enumerate(v.near)]
    return _p({"pts": trace}, v.near[1][0])


def loc_heremaps(v: Vary) -> Out:
    lat, lng = v.city
    return _p({"waypoint0": f"geo!{lat},{lng}", "mode": "fastest;car"}, f"{lat},{lng}")


def loc_nmea(v: Vary) -> Out:
    s = ["$GPGGA,123519,3540.874,N,13946.027,E,1,08,0.9,545.4,M,46.9,M,,*47",
         "$GPRMC,081836,A,3442.149,N,13529.757,E,000.0,360.0,130998,011.3,E*62",
         "$GPGLL,4304.120,N,14121.045,E,225444,A,*1D"][v.n % 3]  # fmt: skip
    return _p({"raw_fix": s}, s)


def loc_base64_json(v: Vary) -> Out:
    lat, lng = v.city
    blob = base64.b64encode(json.dumps({"lat": lat, "lon": lng, "acc": 12}).encode()).decode()
    return _p({"ctx": blob}, blob)


def loc_percent_json(v: Vary) -> Out:
    lat, lng = v.city
    s = quote(json.dumps({"position": {"latitude": lat, "longitude": lng}}))
    return _p({"state": s}, s)


def loc_ios_clloc(v: Vary) -> Out:
    lat, lng = v.city
    s = f"<+{lat:.8f},+{lng:.8f}> +/- 5.00m (speed 0.00 mps / course -1.00) @ 5/1/26, 9:30:12 AM Japan Standard Time"
    return _p({"debug": s}, f"{lat:.8f}")


def loc_android_location(v: Vary) -> Out:
    lat, lng = v.city
    s = f"Location[fused {lat:.6f},{lng:.6f} hAcc=14.0 et=+3d2h1m0s0ms alt=40.5 vAcc=2.0]"
    return _p({"last_known": s}, f"{lat:.6f},{lng:.6f}")


def loc_e7(v: Vary) -> Out:
    lat, lng = v.city
    return _p({"latitudeE7": int(lat * 1e7), "longitudeE7": int(lng * 1e7)}, int(lat * 1e7))


def loc_space_pair(v: Vary) -> Out:
    lat, lng = v.city
    return _p({"pos": f"{lat} {lng}"}, f"{lat} {lng}")


# ---------------------------------------------------------------- contacts
def con_records_any_key(v: Vary) -> Out:
    a, b = v.person, v.other
    rows = [{"n": f"{a[0]} {a[1]}", "t": a[2]}, {"n": f"{b[0]} {b[1]}", "t": b[2]}]
    return _p({"items": rows}, a[2], b[2])


def con_google_people(v: Vary) -> Out:
    a, b = v.person, v.other
    conns = [{"resourceName": f"people/c{i}", "names": [{"displayName": f"{p[0]} {p[1]}"}],
              "phoneNumbers": [{"value": p[2], "type": "mobile"}]} for i, p in enumerate((a, b))]  # fmt: skip
    return _p({"connections": conns, "totalPeople": 2}, a[2], b[2])


def con_ios_cncontact(v: Vary) -> Out:
    a, b = v.person, v.other
    s = "\n".join(
        f"<CNContact: 0x28{i}c0a1b0: identifier=ABC{i}:ABPerson, givenName={p[0]}, familyName={p[1]}, "
        f"phoneNumbers=(\"<CNLabeledValue: label=_$!<Mobile>!$_, value=<CNPhoneNumber: stringValue={p[2]}>>\"), "
        f"emailAddresses=(\"<CNLabeledValue: label=_$!<Home>!$_, value={p[3]}>\")>"
        for i, p in enumerate((a, b))
    )
    return _p({"dump": s}, a[2], b[3])


def con_android_dump(v: Vary) -> Out:
    a, b = v.person, v.other
    s = "; ".join(
        f"Row: {i} display_name={p[0]} {p[1]}, data1={p[2]}, mimetype=vnd.android.cursor.item/phone_v2"
        for i, p in enumerate((a, b))
    )
    return _p({"cursor": s}, a[2], b[2])


def con_csv(v: Vary) -> Out:
    a, b = v.person, v.other
    csv = "Name,Phone,Email\n" + "\n".join(f"{p[0]} {p[1]},{p[2]},{p[3]}" for p in (a, b))
    return _p({"upload": csv}, a[3], b[2])


def con_ndjson(v: Vary) -> Out:
    a, b = v.person, v.other
    s = "\n".join(json.dumps({"fullName": f"{p[0]} {p[1]}", "mail": p[3]}) for p in (a, b))
    return _p({"batch_blob": s}, a[3], b[3])


def con_ldif(v: Vary) -> Out:
    a, b = v.person, v.other
    s = "\n\n".join(
        f"dn: cn={p[0]} {p[1]},ou=people,dc=example\ncn: {p[0]} {p[1]}\nmail: {p[3]}\ntelephoneNumber: {p[2]}"
        for p in (a, b)
    )
    return _p({"import": s}, a[3], b[2])


def con_map_by_phone(v: Vary) -> Out:
    a, b = v.person, v.other
    return _p({"lookup": {a[2]: f"{a[0]} {a[1]}", b[2]: f"{b[0]} {b[1]}"}}, a[2], b[2])


def con_map_by_email(v: Vary) -> Out:
    a, b = v.person, v.other
    return _p({"invitees": {a[3]: {"status": "pending"}, b[3]: {"status": "sent"}}}, a[3], b[3])


def con_short_export(v: Vary) -> Out:
    a, b = v.person, v.other
    s = f"{a[0]} {a[1]} <{a[3]}>, {b[0]} {b[1]} <{b[3]}>"
    return _p({"to_field": s}, a[3], b[3])


def con_phone_list(v: Vary) -> Out:
    a, b = v.person, v.other
    return _p({"numbers": [a[2], b[2], "+81 3-1234-5678"]}, a[2], b[2])


def con_picker(v: Vary) -> Out:
    a = v.person
    rec = {"givenName": a[0], "familyName": a[1], "phoneNumbers": [{"label": "mobile", "number": a[2]}],
           "emailAddresses": [{"label": "home", "email": a[3]}]}  # fmt: skip
    b = v.other
    rec2 = {"givenName": b[0], "familyName": b[1], "phoneNumbers": [{"label": "work", "number": b[2]}]}
    return _p({"selected": [rec, rec2]}, a[2], b[2])


def con_web_contact_picker(v: Vary) -> Out:
    a, b = v.person, v.other
    sel = [{"name": [f"{p[0]} {p[1]}"], "email": [p[3]], "tel": [p[2]]} for p in (a, b)]
    return _p({"result": sel}, a[3], b[2])


def con_whatsapp_contacts(v: Vary) -> Out:
    a, b = v.person, v.other
    cs = [{"name": {"formatted_name": f"{p[0]} {p[1]}", "first_name": p[0]},
           "phones": [{"phone": p[2], "type": "CELL"}]} for p in (a, b)]  # fmt: skip
    return _p({"payload": {"contacts": cs}}, a[2], b[2])


def con_jsonstr_records(v: Vary) -> Out:
    a, b = v.person, v.other
    s = json.dumps([{"label": f"{p[0]} {p[1]}", "value": p[2]} for p in (a, b)])
    return _p({"opts": s}, a[2], b[2])


# ---------------------------------------------------------------- messages
def msg_slack(v: Vary) -> Out:
    ev = {"type": "message", "channel": "C024BE91L", "user": "U2147483697", "text": v.text,
          "ts": "1355517523.000005"}  # fmt: skip
    return _p({"payload": ev}, v.text)


def msg_telegram(v: Vary) -> Out:
    upd = {"update_id": 10000 + v.n, "message": {"message_id": 1365, "from": {"id": 1111111, "first_name": "Test"},
           "chat": {"id": 1111111, "type": "private"}, "date": 1441645532, "text": v.text}}  # fmt: skip
    return _p({"raw": upd}, v.text)


def msg_whatsapp(v: Vary) -> Out:
    val = {"messaging_product": "whatsapp", "messages": [{"from": "16315551181", "id": "wamid.ID",
           "timestamp": "1669233778", "text": {"body": v.text}, "type": "text"}]}  # fmt: skip
    return _p({"hook": {"entry": [{"changes": [{"value": val, "field": "messages"}]}]}}, v.text)


def msg_line(v: Vary) -> Out:
    ev = {"type": "message", "message": {"type": "text", "id": "14353798921116", "text": v.text},
          "source": {"type": "user", "userId": "U4af4980629"}, "replyToken": "757913772c4646b784d4b7ce46d12671"}  # fmt: skip
    return _p({"events": [ev]}, v.text)


def msg_discord(v: Vary) -> Out:
    m = {"id": "1234", "channel_id": "5678", "author": {"id": "42", "username": "k"},
         "content": v.text, "timestamp": "2026-05-01T09:30:12Z"}  # fmt: skip
    return _p({"d": m, "op": 0, "t": "MESSAGE_CREATE"}, v.text)


def msg_twilio(v: Vary) -> Out:
    return _p({"webhook": {"From": "+14155550132", "To": "+14155550100", "Body": v.text,
                           "MessageSid": "SM1234", "NumMedia": "0"}}, v.text)  # fmt: skip


def msg_matrix(v: Vary) -> Out:
    ev = {"type": "m.room.message", "sender": "@alice:example.org", "room_id": "!abc:example.org",
          "content": {"msgtype": "m.text", "body": v.text}}  # fmt: skip
    return _p({"ev": ev}, v.text)


def msg_messenger(v: Vary) -> Out:
    m = {"sender": {"id": "PSID"}, "recipient": {"id": "PAGE"}, "timestamp": 1458692752478,
         "message": {"mid": "m_1457764197618:41d102a3e1ae206a38", "text": v.text}}  # fmt: skip
    return _p({"messaging": [m]}, v.text)


def msg_mime(v: Vary) -> Out:
    s = (f"From: Hanako <hanako@example.jp>\r\nTo: taro@example.jp\r\nSubject: re: plans\r\n"
         f"Date: Fri, 1 May 2026 09:30:00 +0900\r\n\r\n{v.text}")  # fmt: skip
    return _p({"eml": s}, v.text)


def msg_chat_history(v: Vary) -> Out:
    hist = [{"role": "friend", "t": 1715000000, "v": v.text}, {"role": "me", "t": 1715000060, "v": TEXTS[(v.n + 1) % 6]}]
    return _p({"history": hist}, v.text)


def msg_intercom(v: Vary) -> Out:
    parts = {"type": "conversation_part.list", "conversation_parts": [
        {"part_type": "comment", "body": f"<p>{v.text}</p>", "author": {"type": "user", "id": "5"}}]}
    return _p({"conversation": parts}, v.text)


def msg_sms_dump(v: Vary) -> Out:
    s = f"address=+819012345678, date=1715000000000, type=1, body={v.text}, read=1"
    return _p({"inbox_row": s}, v.text)


def msg_notification(v: Vary) -> Out:
    n = {"android.title": "Taro Yamada", "android.text": v.text, "package": "jp.naver.line.android"}
    return _p({"extras": n}, v.text)


def msg_json_string(v: Vary) -> Out:
    s = json.dumps({"from": "u_123", "to": "u_456", "msg": v.text})
    return _p({"data": s}, v.text)


def msg_irc(v: Vary) -> Out:
    s = f":nick!user@host PRIVMSG #channel :{v.text}"
    return _p({"line": s}, v.text)


# ---------------------------------------------------------------- media
def _ints(data: bytes, signed: bool = False) -> list[int]:
    return [b - 256 if signed and b > 127 else b for b in data]


def med_python_bytes(v: Vary) -> Out:
    s = repr(v.media)
    return _p({"blob": s}, s[:40])


def med_node_buffer(v: Vary) -> Out:
    data = _ints(v.media)
    return _p({"file": {"type": "Buffer", "data": data}}, data[:12])


def med_node_buffer_str(v: Vary) -> Out:
    s = "<Buffer " + " ".join(f"{b:02x}" for b in v.media[:50]) + " ... 1230 more bytes>"
    return _p({"dbg": s}, s[:40])


def med_uint8array(v: Vary) -> Out:
    data = _ints(v.media)
    return _p({"bytes": data}, data[:12])


def med_java_bytes(v: Vary) -> Out:
    data = _ints(v.media, signed=True)
    return _p({"content": data}, data[:12])


def med_java_literal(v: Vary) -> Out:
    s = "new byte[]{" + ", ".join(str(b) for b in _ints(v.media, True)) + "}"
    return _p({"src": s}, s[:40])


def med_go_literal(v: Vary) -> Out:
    s = "[]byte{" + ", ".join(f"0x{b:02x}" for b in v.media) + "}"
    return _p({"src": s}, s[:40])


def med_c_escape(v: Vary) -> Out:
    s = "".join(f"\\x{b:02x}" for b in v.media)
    return _p({"raw": s}, s[:40])


def med_hex(v: Vary) -> Out:
    s = v.media.hex()
    return _p({"payload_hex": s}, s[:40])


def med_hex_spaced(v: Vary) -> Out:
    s = " ".join(f"{b:02X}" for b in v.media)
    return _p({"hexdump": s}, s[:40])


def med_base64url(v: Vary) -> Out:
    s = base64.urlsafe_b64encode(v.media).decode().rstrip("=")
    return _p({"att": s}, s[:40])


def med_swift_data(v: Vary) -> Out:
    s = "Data(bytes: [" + ", ".join(f"0x{b:02X}" for b in v.media) + "])"
    return _p({"swift": s}, s[:40])


def med_gzip_b64(v: Vary) -> Out:
    s = base64.b64encode(gzip.compress(v.media, mtime=0)).decode()
    return _p({"z": s}, s[:40])


def med_kotlin(v: Vary) -> Out:
    s = "byteArrayOf(" + ", ".join(str(b) for b in _ints(v.media, True)) + ")"
    return _p({"kt": s}, s[:40])


def med_percent(v: Vary) -> Out:
    s = quote(v.media.decode("latin-1"), safe="")
    return _p({"body": s}, s[:40])


# ---------------------------------------------------------------- identifiers
def id_ip_text(v: Vary) -> Out:
    return _p({"debug": f"request from {v.ip} via edge"}, v.ip)


def id_ip_field(v: Vary) -> Out:
    return _p({"client": {"remote_addr": v.ip}}, v.ip)


def id_ip_url(v: Vary) -> Out:
    return _p({"callback": f"https://t.example.com/p?uip={quote(v.ip)}&e=1"}, quote(v.ip))


def id_ip_xff(v: Vary) -> Out:
    return _p({"headers": {"X-Forwarded-For": f"{v.ip}, 10.0.0.1"}}, v.ip)


def id_ip_openrtb(v: Vary) -> Out:
    key = "ipv6" if ":" in v.ip else "ip"
    return _p({"bidrequest": {"device": {key: v.ip, "ua": "Mozilla/5.0"}}}, v.ip)


def _refused(v: Vary) -> dict[str, Any]:
    return {"context": {"device": {"advertisingId": v.idfa, "adTrackingEnabled": False}}}


def id_adid_url(v: Vary) -> Out:
    url = f"https://app.appsflyer.com/id123?pid=x&idfa={v.idfa}&c=spring"
    return _p({"click_url": url}, v.idfa, extra=_refused(v))


def id_adid_field(v: Vary) -> Out:
    return _p({"attribution": {"gps_adid": v.idfa, "network": "organic"}}, v.idfa, extra=_refused(v))


def id_adid_text(v: Vary) -> Out:
    return _p({"log": f"device {v.idfa} installed"}, v.idfa, extra=_refused(v))


def id_adid_upper(v: Vary) -> Out:
    return _p({"ifa": v.idfa.upper() if v.n % 2 else v.idfa.lower()}, v.idfa.upper() if v.n % 2 else v.idfa.lower(), extra=_refused(v))


def id_adid_openrtb(v: Vary) -> Out:
    return _p({"bidrequest": {"device": {"ifa": v.idfa, "lmt": 1}}}, v.idfa, extra=_refused(v))


# ---------------------------------------------------------------- disguised keys
def key_zero_width(v: Vary) -> Out:
    lat, lng = v.city
    return _p({"lat\u200bitude": lat, "long\u200citude": lng}, lat, lng)


def key_cyrillic(v: Vary) -> Out:
    lat, lng = v.city
    return _p({"lаtitude": lat, "lоngitude": lng}, lat, lng)  # Cyrillic а, о


def key_combining(v: Vary) -> Out:
    return _p({"me\u0301ssage_body": v.text}, v.text)


def key_mixed_case(v: Vary) -> Out:
    a = v.person
    return _p({"AddressBOOK": [{"NAME": f"{a[0]} {a[1]}", "PHONE": a[2]}]}, a[2])


def key_greek(v: Vary) -> Out:
    return _p({"phοtο": base64.b64encode(v.media).decode()}, base64.b64encode(v.media).decode()[:30])  # Greek ο


def key_soft_hyphen(v: Vary) -> Out:
    lat, lng = v.city
    return _p({"geo\u00adlocation": f"{lat},{lng}"}, f"{lat},{lng}")


def key_fullwidth(v: Vary) -> Out:
    return _p({"ｃｈａｔ＿ｍｅｓｓａｇｅ": v.text}, v.text)


FAMILIES: dict[str, list[Template]] = {
    "location": [loc_polyline, loc_polyline_plain, loc_geohash, loc_geohash_mixed, loc_h3, loc_quadkey,
                 loc_mgrs, loc_utm, loc_wkt, loc_wkt_line, loc_wkb, loc_geojson, loc_geojson_line,
                 loc_mercator, loc_dms, loc_ddm, loc_kml, loc_gpx, loc_url_ll, loc_url_bing, loc_url_osm,
                 loc_url_static, loc_fit_samples, loc_array_trace, loc_heremaps, loc_nmea,
                 loc_base64_json, loc_percent_json, loc_ios_clloc, loc_android_location, loc_e7,
                 loc_space_pair],
    "contacts": [con_records_any_key, con_google_people, con_ios_cncontact, con_android_dump, con_csv,
                 con_ndjson, con_ldif, con_map_by_phone, con_map_by_email, con_short_export,
                 con_phone_list, con_picker, con_web_contact_picker, con_whatsapp_contacts,
                 con_jsonstr_records],
    "messages": [msg_slack, msg_telegram, msg_whatsapp, msg_line, msg_discord, msg_twilio, msg_matrix,
                 msg_messenger, msg_mime, msg_chat_history, msg_intercom, msg_sms_dump,
                 msg_notification, msg_json_string, msg_irc],
    "media": [med_python_bytes, med_node_buffer, med_node_buffer_str, med_uint8array, med_java_bytes,
              med_java_literal, med_go_literal, med_c_escape, med_hex, med_hex_spaced, med_base64url,
              med_swift_data, med_gzip_b64, med_kotlin, med_percent],
    "identifiers": [id_ip_text, id_ip_field, id_ip_url, id_ip_xff, id_ip_openrtb, id_adid_url,
                    id_adid_field, id_adid_text, id_adid_upper, id_adid_openrtb],
    "disguised_keys": [key_zero_width, key_cyrillic, key_combining, key_mixed_case, key_greek,
                       key_soft_hyphen, key_fullwidth],
}  # fmt: skip

# Templates kept out of the development loop (about a fifth of each family's shapes).
HELD_OUT = {
    "loc_geohash_mixed", "loc_wkt_line", "loc_ddm", "loc_url_bing", "loc_heremaps", "loc_ios_clloc",
    "con_android_dump", "con_map_by_email", "con_whatsapp_contacts",
    "msg_matrix", "msg_sms_dump", "msg_irc",
    "med_java_literal", "med_swift_data", "med_percent",
    "id_ip_xff", "id_adid_upper", "key_greek", "key_fullwidth",
}  # fmt: skip
