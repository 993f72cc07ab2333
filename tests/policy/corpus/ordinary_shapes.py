"""Templates of ordinary payloads that must come through unchanged: Segment's e-commerce, video
and mobile-lifecycle specs, search, education services (lessons, drills, tests), and Japanese
text. They include the values a detector could mistake: IDs, hashes, SKUs, prices, versions,
timestamps, the user's own email and phone in traits, product photos hosted on a CDN."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

PRODUCTS = [
    ("507f1f77bcf86cd799439011", "G-32", "Monopoly: 3rd Edition", "Games", 19.0),
    ("505bd76785ebb509fc183733", "SKU-4412-BLK", "進研ゼミ 小学講座 3年生", "教育", 3250.0),
    ("63f2a9c1e4b0d7a1f2c3b4d5", "JP-88201", "こどもちゃれんじ ほっぷ", "幼児", 2380.0),
    ("5f8d0d55b54764421b7156c9", "BK-9784-0012", "Oxford Picture Dictionary", "Books", 2970.0),
    ("60c72b2f9b1d8b2f4c8e4a1b", "TAB-CHL-2026", "チャレンジパッドNext", "タブレット", 9900.0),
    ("61a8e3f2c9d4b7a6e5f4d3c2", "EN-ST-0042", "English Starter Kit", "英語", 1480.0),
]
QUERIES = ["夏休み 自由研究", "multiplication tables", "漢字 ドリル 3年", "english phonics",
           "中学受験 算数", "science experiments for kids"]  # fmt: skip
LESSONS = [("L-1042", "分数のたし算", "math", 12), ("L-2210", "Present perfect", "english", 9),
           ("L-3301", "光合成のしくみ", "science", 15), ("L-0007", "ひらがな れんしゅう", "japanese", 6),
           ("L-5120", "都道府県クイズ", "social", 11), ("L-7777", "Phonics: short a", "english", 7)]  # fmt: skip
JA = ["今日のレッスンはとても楽しかったです。", "次回は分数の復習から始めましょう。",
      "保護者の方へ：今月の学習記録をお届けします。", "夏期講習のお申し込みを受け付けました。",
      "お支払い方法をクレジットカードに変更しました。", "教材の発送準備が整いました。"]  # fmt: skip
VIDEOS = [("vid_9c1e", "算数アニメ 第3話", 612), ("vid_a81f", "Science Lab: Volcanoes", 845),
          ("vid_77b2", "えいごのうた メドレー", 1220), ("vid_0d3c", "How plants grow", 433)]  # fmt: skip


@dataclass(frozen=True)
class Vary:
    n: int

    @property
    def product(self) -> tuple[str, str, str, str, float]:
        return PRODUCTS[self.n % len(PRODUCTS)]

    @property
    def query(self) -> str:
        return QUERIES[self.n % len(QUERIES)]

    @property
    def lesson(self) -> tuple[str, str, str, int]:
        return LESSONS[self.n % len(LESSONS)]

    @property
    def ja(self) -> str:
        return JA[self.n % len(JA)]

    @property
    def video(self) -> tuple[str, str, int]:
        return VIDEOS[self.n % len(VIDEOS)]


Template = Callable[[Vary], tuple[str, dict[str, Any]]]


def _item(v: Vary, i: int = 0) -> dict[str, Any]:
    pid, sku, name, cat, price = PRODUCTS[(v.n + i) % len(PRODUCTS)]
    return {"product_id": pid, "sku": sku, "category": cat, "name": name, "brand": "Benesse",
            "variant": "standard", "price": price, "quantity": 1 + i, "position": i + 1,
            "url": f"https://shop.example.com/products/{sku.lower()}",
            "image_url": f"https://cdn.example.com/img/{sku.lower()}.jpg"}  # fmt: skip


def product_viewed(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Product Viewed", _item(v) | {"currency": "JPY", "value": v.product[4]}


def product_list_viewed(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Product List Viewed", {"list_id": f"hot_deals_{v.n}", "category": "Deals",
                                   "products": [_item(v, i) for i in range(3)]}  # fmt: skip


def cart_added(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Product Added", {"cart_id": f"skdjsidjsdkdj29j{v.n}"} | _item(v)


def checkout_started(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Checkout Started", {"order_id": f"50314b8e9bcf000000000{v.n:03d}", "affiliation": "Example Shop",
            "value": 30.0, "revenue": 25.0, "shipping": 3.0, "tax": 2.0, "discount": 2.5,
            "coupon": "hasbros", "currency": "JPY", "products": [_item(v), _item(v, 1)]}  # fmt: skip


def order_completed(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Order Completed", {"checkout_id": "fksdjfsdjfisjf9sdfjsd9f", "order_id": f"ORD-2026-{v.n:05d}",
            "total": 27.5, "subtotal": 22.5, "revenue": 25.0, "shipping": 3.0, "tax": 2.0,
            "discount": 2.5, "coupon": "hasbros", "currency": "JPY",
            "products": [_item(v)], "payment_method": "credit_card"}  # fmt: skip


def coupon_applied(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Coupon Applied", {"order_id": f"50314b8e{v.n}", "cart_id": "923923929jd29jd92dj9j93fj3",
            "coupon_id": "may_deals_2016", "coupon_name": "May Deals 2016", "discount": 23.32}  # fmt: skip


def wishlist(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Product Added to Wishlist", {"wishlist_id": "skdjsidjsdkdj29j", "wishlist_name": "Loved Games"} | _item(v)


def product_reviewed(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Product Reviewed", {"product_id": v.product[0], "review_id": f"kdfjrj39fj39jf{v.n}",
            "review_body": "Average product, expected much more.", "rating": "3"}  # fmt: skip


def shared(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Product Shared", {"share_via": "email",
            "recipient": "friend@example.com"} | _item(v)  # fmt: skip


def app_installed(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Application Installed", {"version": f"3.{v.n}.1", "build": f"{3000 + v.n}"}


def app_opened(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Application Opened", {"from_background": bool(v.n % 2), "referring_application": "GMail",
            "url": "url://location", "version": "3.2.1", "build": "3021"}  # fmt: skip


def app_updated(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Application Updated", {"previous_version": "3.1.9", "previous_build": "3019",
                                   "version": "3.2.1", "build": "3021"}


def deep_link(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Deep Link Opened", {"provider": "Branch Metrics", "url": f"app://landing?lesson={v.lesson[0]}"}


def push_received(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Push Notification Received", {"campaign": {"name": "Summer course", "source": "braze",
            "medium": "push", "content": v.ja}}  # fmt: skip


def video_started(v: Vary) -> tuple[str, dict[str, Any]]:
    vid, title, length = v.video
    return "Video Playback Started", {"session_id": f"12345{v.n}", "content_asset_id": vid,
            "content_pod_id": "segA", "ad_asset_id": None, "position": 0, "total_length": length,
            "bitrate": 1400, "framerate": 29.97, "video_player": "youtube", "sound": 88,
            "full_screen": False, "ad_enabled": False, "quality": "hd1080", "livestream": False,
            "title": title}  # fmt: skip


def video_content(v: Vary) -> tuple[str, dict[str, Any]]:
    vid, title, length = v.video
    return "Video Content Playing", {"session_id": "12345", "asset_id": vid, "title": title,
            "season": "2", "episode": "177", "genre": "Education", "program": "Kids Learning",
            "publisher": "Benesse", "position": 163 + v.n, "total_length": length,
            "channel": "edu", "full_episode": True, "livestream": False, "airdate": "2026-04-01"}  # fmt: skip


def audio_played(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Audio Playback Completed", {"session_id": "a1", "content_asset_id": f"aud_{v.n}",
            "total_length": 180, "position": 180, "sound": 60, "title": "えいごのうた"}  # fmt: skip


def search(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Products Searched", {"query": v.query, "results": 12 + v.n, "page": 1}


def site_search(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Search Performed", {"search_term": v.query, "filters": {"grade": "3", "subject": "math"},
            "sort": "relevance", "result_count": 48}  # fmt: skip


def lesson_started(v: Vary) -> tuple[str, dict[str, Any]]:
    lid, title, subject, minutes = v.lesson
    return "Lesson Started", {"lesson_id": lid, "lesson_title": title, "subject": subject,
            "grade": 3, "unit": "2-1", "expected_minutes": minutes, "device_mode": "tablet"}  # fmt: skip


def lesson_completed(v: Vary) -> tuple[str, dict[str, Any]]:
    lid, title, subject, minutes = v.lesson
    return "Lesson Completed", {"lesson_id": lid, "lesson_title": title, "subject": subject,
            "score": 80 + v.n % 20, "max_score": 100, "duration_sec": minutes * 60 + 17,
            "attempt": 1 + v.n % 3, "passed": True, "stars": 3}  # fmt: skip


def quiz_answered(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Quiz Answered", {"quiz_id": f"Q-{v.n:04d}", "question_no": 4, "choice": "B",
            "correct": v.n % 2 == 0, "time_ms": 8421, "hint_used": False}  # fmt: skip


def drill_progress(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Drill Progress", {"course": "red-pen", "completed": [1, 2, 3, 5, 8], "remaining": 7,
            "streak_days": 12 + v.n, "badge": "ゴールド", "comment": v.ja}  # fmt: skip


def test_submitted(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Test Submitted", {"test_id": f"T2026-{v.n}", "subject_scores": {"math": 88, "japanese": 92,
            "english": 75}, "rank_percentile": 34.5, "deviation": 58.2, "submitted_at": "2026-05-01T09:30:12Z"}  # fmt: skip


def course_enrolled(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Course Enrolled", {"course_id": "ZEMI-E3", "plan": "12-month", "price": 3250,
            "currency": "JPY", "start_month": "2026-06", "note": v.ja}  # fmt: skip


def teacher_feedback(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Feedback Viewed", {"assignment_id": f"A-{v.n}", "feedback_type": "red-pen",
            "summary": "よくできました。計算ミスに気をつけましょう。", "score": 92}  # fmt: skip


def settings_changed(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Settings Changed", {"setting": "font_size", "old": "medium", "new": "large",
            "theme": "dark", "language": "ja", "timezone": "Asia/Tokyo"}  # fmt: skip


def signed_in(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Signed In", {"username": f"user{v.n}", "method": "password", "mfa": True}


def error_shown(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Error Shown", {"code": "E1042", "message": "通信エラーが発生しました。もう一度お試しください。",
            "screen": "LessonPlayer", "retryable": True}  # fmt: skip


def perf(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Performance Sampled", {"fps": 59.8, "memory_mb": 512, "cpu": 0.34, "battery": 0.81,
            "latency_ms": [120, 98, 143], "cold_start_ms": 1834}  # fmt: skip


def ab_test(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Experiment Viewed", {"experiment_id": "exp_2026_05_pricing", "variation_id": f"v{v.n % 3}",
            "hash": "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}  # fmt: skip


def store_locator(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Store Selected", {"store_id": 1042 + v.n, "store_name": "新宿店", "prefecture": "東京都",
            "postal_code": "160-0022", "open": "10:00", "close": "20:00"}  # fmt: skip


def calendar(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Schedule Viewed", {"week": "2026-W18", "slots": [{"day": "mon", "start": "17:00", "end": "17:30"},
            {"day": "wed", "start": "18:00", "end": "18:45"}], "timezone_offset": 540}  # fmt: skip


def referral(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Referral Link Copied", {"code": f"FRIEND{v.n:04d}", "campaign": "spring_referral",
            "link": f"https://shop.example.com/r/FRIEND{v.n:04d}?utm_source=app&utm_medium=share"}  # fmt: skip


def download(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Worksheet Downloaded", {"file_id": f"ws-{v.n}", "format": "pdf", "size_bytes": 348211,
            "sha1": "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12", "pages": 4}  # fmt: skip


def chart(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Progress Chart Viewed", {"series": [[1, 72.5], [2, 75.0], [3, 81.25], [4, 79.0]],
            "x_label": "week", "y_label": "score"}  # fmt: skip


def sizes(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Product Configured", {"width_cm": 35.5, "height_cm": 139.7, "depth_cm": 12.0,
            "weight_kg": 1.25, "color": "#1A2B3C"}  # fmt: skip


def ja_free_text(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Survey Submitted", {"survey_id": "S-2026-05", "q1": "とても満足", "q2": 5,
            "free_text": "子どもが毎日楽しく続けています。教材の量もちょうどいいです。"}  # fmt: skip


def hosted_photo(v: Vary) -> tuple[str, dict[str, Any]]:
    return "Profile Updated", {"avatar_url": f"https://cdn.example.com/avatars/{v.n}.png",
            "display_name": f"がくしゅう{v.n}", "grade": 4}  # fmt: skip


TEMPLATES: list[Template] = [
    product_viewed, product_list_viewed, cart_added, checkout_started, order_completed, coupon_applied,
    wishlist, product_reviewed, shared, app_installed, app_opened, app_updated, deep_link,
    push_received, video_started, video_content, audio_played, search, site_search, lesson_started,
    lesson_completed, quiz_answered, drill_progress, test_submitted, course_enrolled,
    teacher_feedback, settings_changed, signed_in, error_shown, perf, ab_test, store_locator,
    calendar, referral, download, chart, sizes, ja_free_text, hosted_photo,
]  # fmt: skip
HELD_OUT = {"coupon_applied", "app_updated", "audio_played", "drill_progress", "perf", "calendar",
            "sizes", "hosted_photo"}  # fmt: skip
