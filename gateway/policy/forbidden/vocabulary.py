"""The vocabulary the detectors read key names with, English and Japanese.

A key is folded to lower-case singular words (`keys.py`); these tables say what each word means:
a category's own noun (a head), a word that makes a generic noun a category's (a modifier), a
word that makes the key metadata (a qualifier) or the company's own text (a neutralizer), and the
roles a key plays in a record (a person's name, a sender, a text field) or as an ancestor (a
message thread, a place).
"""

from __future__ import annotations

from gateway.config.categories import FORBIDDEN

# The forbidden categories, from the one table of categories; the names the detectors use.
CATEGORIES: tuple[str, ...] = FORBIDDEN
LOCATION, CONTACTS, MESSAGE_CONTENT, MEDIA = "location", "contacts", "message_content", "media"


def _words(category: str, text: str) -> dict[str, str]:
    return dict.fromkeys(text.split(), category)


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Permission states, booleans and availability: `"photos": "denied"` says nothing about a photo.
FLAG_WORDS = _set(
    "true false yes no on off null none undefined granted denied authorized restricted limited "
    "notdetermined not_determined always wheninuse when_in_use enabled disabled prompt unknown "
    "undetermined blocked allowed online offline available unavailable busy away open closed "
    "あり なし 有り 無し 有 無 はい いいえ オン オフ 許可 拒否"
)
HEADS: dict[str, str] = {
    **_words(LOCATION, "lat latitude lng lon longitude latlng lnglat coord coordinate "
             "geolocation geoloc gps gnss geohash geopoint altitude "
             "緯度 経度 座標 位置情報 現在地 現在位置 位置座標 標高"),
    **_words(CONTACTS, "contact addressbook phonebook vcard vcf "
             "住所録 アドレス帳 電話帳 連絡先 コンタクト"),
    **_words(MESSAGE_CONTENT, "message msg chat sms mms dm imessage conversation inbox reply draft "
             "voicenote voicemail voicemessage "
             "メッセージ 本文 チャット トーク ショートメッセージ ショートメール "
             "ダイレクトメッセージ 会話 受信箱 返信"),
    **_words(MEDIA, "photo image picture pic img video selfie screenshot attachment "
             "thumbnail cameraroll 写真 画像 動画 添付 添付ファイル 映像 ビデオ フォト ピクチャ "
             "カメラロール スクリーンショット スクショ 写メ サムネイル サムネ"),
}  # fmt: skip
MODIFIERS: dict[str, str] = {
    **_words(
        MESSAGE_CONTENT, "email mail thread inquiry enquiry メール 問い合わせ 問合せ やりとり"
    ),
    **_words(MEDIA, "media camera gallery カメラ ギャラリー アルバム"),
}
BESIDE_LAT_HEADS = frozenset({"long", "alt"})
WEAK_HEADS = _set("location geo loc position place 位置 場所 所在地 ロケーション")
STRENGTHENERS = _set(
    "gps gnss current precise exact device user live last latest realtime fine raw geo "
    "現在 端末 正確"
)
# Units and encodings written after a coordinate word (`latitudeE7`, `lat_deg`): not heads.
UNITS = _set("e5 e6 e7 deg degree rad radian dd dms decimal wgs84 microdegree")
GENERIC_HEADS = _set(
    "clip list data info information entry item array set collection body text content payload "
    "detail record file blob raw value base64 b64 bytes byte binary html snippet preview "
    "transcription history log transcript dump export backup archive library roll thread "
    "一覧 リスト データ 情報 内容 ファイル 履歴 ログ テキスト 詳細 全文"
)
QUALIFIERS = _set(
    "count cnt num number no nb total qty quantity amount has is was are can should did will "
    "enabled disabled enable disable allowed allow permission granted denied authorized "
    "authorization consent opt optin optout submitted submit id uuid guid key hash checksum "
    "type kind category mime mimetype format extension ext duration size length len width "
    "height resolution dimension bitrate quality status state flag mode setting preference "
    "preferred method availability "
    "version at time timestamp date ts index idx limit max min quota rate ratio percent score "
    "accuracy precision source provider service url uri link href src path "
    "数 件数 枚数 個数 回数 人数 総数 件 有無 あり 有り なし 無し フラグ 番号 種類 種別 "
    "タイプ 形式 サイズ 容量 長さ 時間 日時 日付 時刻 許可 同意 状態 設定 可否 精度 パス リンク"
)
NEUTRALIZERS = _set(
    "error err warning warn validation system exception success failure fail toast banner "
    "alert flash log debug commit welcome prompt placeholder template notification push "
    "campaign marketing promo promotion ad ads click mouse pointer scroll touch tap viewport "
    "pixel cursor element social og "
    "エラー システム 通知 お知らせ 警告 広告 確認 完了 案内 注意"
)
COMPOUNDS: dict[tuple[str, str], str] = {
    ("address", "book"): "addressbook", ("phone", "book"): "phonebook",
    ("contact", "book"): "addressbook", ("camera", "roll"): "cameraroll", ("e", "mail"): "email",
    ("lat", "lng"): "latlng", ("lat", "lon"): "latlng", ("lat", "long"): "latlng",
    ("lng", "lat"): "lnglat", ("lon", "lat"): "lnglat", ("long", "lat"): "lnglat",
    ("geo", "hash"): "geohash", ("geo", "point"): "geopoint", ("geo", "loc"): "geoloc",
    ("voice", "note"): "voicenote", ("voice", "mail"): "voicemail",
    ("voice", "message"): "voicemessage", ("chat", "room"): "chatroom",
}  # fmt: skip
# Joined lower-case words ("gpslatitude") end in these long nouns often enough to check.
SUFFIXES = ("latitude", "longitude", "geolocation", "phonebook", "addressbook", "coordinate",
            "attachment", "message", "contact")  # fmt: skip

# --- roles: what a key is inside a record, and what it says about everything under it -------

# A field holding a message's text, as a chat turn or an SMS row holds it ...
BODY_WORDS = _set("text body content html msg message plaintext markdown mrkdwn 本文 内容 テキスト")
# ... and more fields of free text: in a conversation they are the message too.
TEXT_WORDS = BODY_WORDS | _set(
    "snippet preview transcription description draft bigtext comment 文面 文章 コメント"
)
# Who wrote a message.
SENDER_WORDS = _set("role author from sender nick nickname speaker 送信者 差出人 発言者 投稿者")
SPEAKER_ROLES = _set("user assistant system customer agent bot human ai model operator")
# A person's name, and a way to reach a person (judged on the folded key, singular).
NAME_WORDS = _set(
    "name fullname displayname firstname lastname givenname familyname middlename nickname "
    "氏名 名前 姓 名 フルネーム 表示名"
)
REACH_WORDS = _set(
    "phone phonenumber tel telephone mobile cell email emailaddress mail 電話 電話番号 携帯 "
    "携帯番号 携帯電話 メール メールアドレス"
)
# Columns of Android's contacts database (ContactsContract), as a row of it carries them.
CONTACT_COLUMNS = _set(
    "lookup lookup_key data1 contact_id raw_contact_id has_phone_number display_name_primary "
    "display_name_alternative photo_thumb_uri times_contacted last_time_contacted starred"
)
REVIEW_WORDS = _set("rating stars star score review")
# Axis names of a point: `x`/`y` only where a place is meant, the others on their own.
AXIS_NAMES = {"x": 0, "y": 1, "la": 2, "lt": 2, "lo": 3, "ln": 3, "lg": 3}
# An ancestor naming a conversation makes its text fields messages ...
CONVERSATION_WORDS = _set(
    "message msg chat chatroom sms mms dm imessage conversation inbox reply ticket thread talk "
    "voicenote voicemail voicemessage inquiry enquiry "
    "メッセージ チャット トーク 会話 受信箱 返信 やりとり 問い合わせ 問合せ "
    "ショートメッセージ ダイレクトメッセージ"
)  # not `comment`: an order's or a form's comment is no conversation (a ticket's is a message)
# ... one naming a place or channel that carries messages, only their bodies (a room's
# description or a marketing push's title is the company's text). An event's name counts so.
CHANNEL_WORDS = _set("room aps notification 通知")
# ... unless a nearer one makes them the company's own words.
CONTEXT_CLEARERS = _set(
    "campaign marketing promo promotion ad ads banner error err warning validation system "
    "exception template placeholder welcome onboarding tutorial faq hint tooltip toast "
    "エラー システム 広告 キャンペーン お知らせ"
)
# An ancestor named like this makes `x`/`y` under it a position (`position` and `point` are
# as often a place on the screen).
LOCATED_WORDS = _set(
    "location geo loc place center centre fix pin spot marker where "
    "位置 場所 所在地 ロケーション 地点 中心"
)

VOCABULARY = frozenset(
    {*HEADS, *MODIFIERS, *BESIDE_LAT_HEADS, *WEAK_HEADS, *STRENGTHENERS, *GENERIC_HEADS, *UNITS}
    | QUALIFIERS
    | NEUTRALIZERS
    | {word for pair in COMPOUNDS for word in pair}
    | {word for word in TEXT_WORDS | SENDER_WORDS | NAME_WORDS | REACH_WORDS if len(word) > 1}
    | {"address", "book", "voice", "note", "given", "family", "display", "first", "last", "full"}
)
