"""The words of the customer-facing pages, in Japanese and English."""

from __future__ import annotations

from gateway.config.categories import FORBIDDEN, labels

LANGUAGES = ("ja", "en")

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Your privacy choices",
        "intro": (
            "Choose how information from this site and app may be used. Your choices apply "
            "from the next page you view, on every device this browser or app is used on."
        ),
        "purposes": "Purposes",
        "on": "Allow",
        "off": "Refuse",
        "adid": "Advertising identifier (IDFA / AAID)",
        "adid_help": "Whether your device's advertising identifier may be collected.",
        "vendors": "Outside services",
        "vendors_help": "Refuse a single service; the others keep your other choices.",
        "allow_all": "Allow all",
        "refuse_all": "Refuse all optional",
        "save": "Save my choices",
        "saved": "Your choices have been saved.",
        "decided_by": "Currently decided by",
        "no_subject": (
            "This browser has not sent us any information yet, so there is nothing to set. "
            "If you use our site with cookies blocked, your choices cannot be remembered here."
        ),
        "gpc": "Your browser sends Global Privacy Control: advertising use is refused.",
        "replayed": "This form was already used. Please reload the page and try again.",
        "expired": "This page has expired. Please reload it and try again.",
        "unavailable": "Your choices cannot be shown or saved right now. Please try again soon.",
        "notice": "Which information goes to which outside services",
        "language": "日本語",
        "service_note": "Information needed to provide the service itself is always used.",
        "suspended": "Use of your information is suspended at your request.",
        "notice_title": "Information sent to outside services",
        "notice_intro": (
            "When you use our sites and apps, the following information may be sent to these "
            "outside services. This list is generated from the gateway's current configuration."
        ),
        "name": "Service",
        "country": "Country",
        "categories": "Information sent",
        "opt_out": "You can refuse on the privacy choices page",
        "review": (
            "Something has changed since you last chose: new purposes or recipients are "
            "marked. Nothing of yours goes to a new recipient until you choose."
        ),
        "new": "New",
        "role": "Role",
        "role_processor": "Processes for us (outsourcing)",
        "role_third_party": "Third party (only with your consent)",
        "role_joint_use": "Joint use (only with your consent)",
        "responsible": "Responsible for the data",
        "transforms": "Before sending",
        "transform_hashed": "hashed",
        "transform_truncated": "truncated",
        "transform_dropped": "removed",
        "transform_renamed": "renamed",
        "recipient_policy": "Its privacy policy",
        "recipient_opt_out": "Its opt-out",
        "company_policy": "Our privacy policy",
        "contact": "Personal information inquiry desk",
        "children": (
            "Children: for services for children, and whenever we know the user is a child, "
            "no information is used for advertising, no advertising identifier is sent and "
            "nothing goes to third parties."
        ),
    },
    "ja": {
        "title": "プライバシーの設定",
        "intro": (
            "本サイト・アプリで取得する情報の利用方法を選択できます。"
            "設定は次に表示するページから反映されます。"
        ),
        "purposes": "利用目的",
        "on": "許可する",
        "off": "拒否する",
        "adid": "広告識別子（IDFA・AAID）",
        "adid_help": "端末の広告識別子の取得を許可するかどうか。",
        "vendors": "外部サービス",
        "vendors_help": "サービスごとに送信を拒否できます。",
        "allow_all": "すべて許可",
        "refuse_all": "任意の項目をすべて拒否",
        "save": "設定を保存",
        "saved": "設定を保存しました。",
        "decided_by": "現在の判断根拠",
        "no_subject": (
            "このブラウザからはまだ情報が送信されていないため、設定する対象がありません。"
            "Cookieを無効にしている場合、ここでの設定は保存できません。"
        ),
        "gpc": (
            "お使いのブラウザはGlobal Privacy Controlを送信しています。"
            "広告目的の利用は拒否されます。"
        ),
        "replayed": "このフォームは既に送信されています。ページを再読み込みしてください。",
        "expired": "ページの有効期限が切れました。再読み込みしてください。",
        "unavailable": "現在、設定を表示・保存できません。しばらくしてから再度お試しください。",
        "notice": "外部サービスへ送信される情報について",
        "language": "English",
        "service_note": "サービスの提供に必要な情報は常に利用されます。",
        "suspended": "ご請求により、お客様の情報の利用を停止しています。",
        "notice_title": "外部サービスへの情報送信",
        "notice_intro": (
            "当社のサイト・アプリのご利用時に、以下の外部サービスへ情報が送信される場合があります。"
            "この一覧はゲートウェイの現在の設定から生成しています。"
        ),
        "name": "送信先",
        "country": "国",
        "categories": "送信される情報",
        "opt_out": "プライバシーの設定ページから拒否できます",
        "review": (
            "前回の設定以降に変更があります。新しい利用目的・送信先に印を付けています。"
            "設定いただくまで、新しい送信先へお客様の情報は送信しません。"
        ),
        "new": "新規",
        "role": "立場",
        "role_processor": "委託先（当社の業務を処理）",
        "role_third_party": "第三者（ご同意がある場合のみ）",
        "role_joint_use": "共同利用（ご同意がある場合のみ）",
        "responsible": "管理責任者",
        "transforms": "送信前の加工",
        "transform_hashed": "ハッシュ化",
        "transform_truncated": "一部削除",
        "transform_dropped": "削除",
        "transform_renamed": "名称変更",
        "recipient_policy": "送信先のプライバシーポリシー",
        "recipient_opt_out": "送信先でのオプトアウト",
        "company_policy": "当社の個人情報保護方針",
        "contact": "個人情報に関するお客様ご相談窓口",
        "children": (
            "お子さまの情報について：お子さま向けのサービス、およびお子さまのご利用と分かる場合は、"
            "広告目的に利用せず、広告識別子を送信せず、第三者へ提供しません。"
        ),
    },
}

# The data categories' names come from the one table of categories (config/categories.py).
CATEGORIES: dict[str, dict[str, str]] = {language: labels(language) for language in LANGUAGES}

PURPOSES: dict[str, dict[str, str]] = {
    "en": {
        "service": "Providing our services",
        "analytics": "Measuring and improving our services",
        "advertising": "Advertising based on your browsing (behavioural ads)",
        **{c: CATEGORIES["en"][c] for c in FORBIDDEN},  # a purpose named after a category
    },
    "ja": {
        "service": "サービスの提供",
        "analytics": "サービスの効果検証・改善",
        "advertising": "閲覧履歴に基づく広告（行動ターゲティング広告）",
        **{c: CATEGORIES["ja"][c] for c in FORBIDDEN},  # a purpose named after a category
    },
}

COUNTRIES: dict[str, dict[str, str]] = {
    "en": {
        "JP": "Japan", "PH": "Philippines", "AU": "Australia", "CA": "Canada",
        "US": "United States", "KR": "Republic of Korea", "TW": "Taiwan",
    },
    "ja": {
        "JP": "日本", "PH": "フィリピン共和国", "AU": "オーストラリア連邦", "CA": "カナダ",
        "US": "アメリカ合衆国", "KR": "大韓民国", "TW": "台湾",
    },
}  # fmt: skip


def pick_language(query: str | None, accept_language: str | None) -> str:
    """An explicit ?lang= wins; else the first supported tag in Accept-Language by weight."""
    if query in LANGUAGES:
        return query
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        ranked.append((-weight, index, tag.strip().lower()[:2]))
    for _, _, tag in sorted(ranked):
        if tag in LANGUAGES:
            return tag
    return "ja"


# The SDK's consent banner. Accept and reject carry equal weight (same words' length class,
# same look): rejecting must be as easy as accepting.
BANNER: dict[str, dict[str, str]] = {
    "en": {
        "title": "Your privacy choices",
        "opt_in": (
            "We would like to use information about your visit to measure and improve our "
            "services and for advertising, with the outside services listed. Until you choose, "
            "only what is needed to provide the service is used."
        ),
        "opt_out": (
            "When you use this site, information about your visit is sent to the outside "
            "services listed. You can refuse advertising use at any time."
        ),
        "accept": "Accept all",
        "reject": "Reject all",
        "choose": "Choose",
        "save": "Save my choices",
        "refuse_ads": "Refuse advertising use",
        "close": "Close",
        "details": "Details of the information sent",
        "preferences": "Privacy choices",
        "recipients": "Outside services",
        "new": "New",
        "changed": "Something has changed since you last chose: new items are marked “New”.",
        "gpc": "Your browser sends Global Privacy Control: advertising is refused.",
        "on": "Allow",
        "off": "Refuse",
    },
    "ja": {
        "title": "プライバシーの設定",
        "opt_in": (
            "サービスの効果検証・改善と広告のため、ご利用に関する情報を下記の外部サービスと"
            "ともに利用したいと考えています。選択されるまでは、サービスの提供に必要な情報"
            "のみを利用します。"
        ),
        "opt_out": (
            "本サイトのご利用に関する情報は、下記の外部サービスへ送信されます。"
            "広告目的の利用はいつでも拒否できます。"
        ),
        "accept": "すべて同意",
        "reject": "すべて拒否",
        "choose": "選択する",
        "save": "選択を保存",
        "refuse_ads": "広告目的の利用を拒否する",
        "close": "閉じる",
        "details": "送信される情報の詳細",
        "preferences": "プライバシーの設定",
        "recipients": "外部サービス",
        "new": "新規",
        "changed": "前回の選択から内容が変わりました。新しい項目に「新規」と表示しています。",
        "gpc": (
            "お使いのブラウザはGlobal Privacy Controlを送信しています。"
            "広告目的の利用は拒否されます。"
        ),
        "on": "許可する",
        "off": "拒否する",
    },
}
