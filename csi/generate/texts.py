"""Survey comments and complaint descriptions, in Chinese and English, that follow the experience.

A detractor (NPS 0-6) writes about what went wrong, a promoter (9-10) praises, a
passive (7-8) praises one thing and regrets another. What they write about depends
on how they bought: online and app customers write about delivery, the app and
refunds; store customers about queues, the staff and the shop. A complaint's
description is about its category, plus the detail the complaint stream drew.
Every phrase is recognised by the shipped topic dictionary and lexicon as its
topic and polarity (tests/generate/test_texts.py), so the demo's text marts show
the planted pattern: queues and late deliveries pull NPS down, friendly staff up.

Texts draw from their own generator, seeded by the batch's first id, so the
numbers of the survey and complaint streams (and every other figure) stay as
they were without texts.
"""

from __future__ import annotations

import zlib

import numpy as np

ZH_SHARE = 0.7  # share of texts written in Chinese (kiosk comments: all)
GENERIC_SHARE = 0.12  # comments with no topic ("很满意", "It was OK")
TWO_TOPIC_SHARE = 0.35
TEXT_SEED = 20261202

# topic -> polarity -> language -> phrases
PHRASES: dict[str, dict[str, dict[str, list[str]]]] = {
    "delivery": {
        "neg": {"zh": ["快递太慢了", "配送延迟了三天", "物流太差，包裹晚到了好几天", "骑手送错了地址"],
                "en": ["The delivery was very late", "My parcel arrived three days late", "The courier came very late"]},
        "pos": {"zh": ["配送很快", "物流非常快，包装完好", "快递员很准时"],
                "en": ["Fast delivery", "The parcel arrived early and in perfect condition", "Delivery was quick"]},
    },
    "waiting_time": {
        "neg": {"zh": ["排队排了很久", "排队太久了", "等了半个小时，太慢了"],
                "en": ["The queue was far too long", "I had to wait forever at the checkout", "Waited ages to be served"]},
        "pos": {"zh": ["不用排队，很方便", "不用等，很快"], "en": ["No queue at all", "Hardly any wait"]},
    },
    "staff_attitude": {
        "neg": {"zh": ["店员态度很差", "服务员爱答不理", "收银员很不耐烦"],
                "en": ["The staff were rude", "The cashier was really unfriendly", "Staff ignored me"]},
        "pos": {"zh": ["店员很热情", "服务员非常耐心", "员工很有礼貌"],
                "en": ["The staff were very friendly", "Really helpful staff", "The cashier was polite and patient"]},
    },
    "product_quality": {
        "neg": {"zh": ["质量太差了", "买到的东西有瑕疵", "水果不新鲜"],
                "en": ["Poor quality", "The product was defective", "The fruit was stale"]},
        "pos": {"zh": ["质量很好", "东西很新鲜", "做工不错"],
                "en": ["Great quality", "Everything was fresh", "Very durable"]},
    },
    "price_value": {
        "neg": {"zh": ["价格太贵了", "不值这个价钱"], "en": ["Far too expensive", "Overpriced for what you get"]},
        "pos": {"zh": ["性价比很高，很划算", "价格实惠"], "en": ["Good value for money", "Very affordable"]},
    },
    "returns_refunds": {
        "neg": {"zh": ["退货流程太麻烦", "退款一直没到账"],
                "en": ["The refund was very slow", "Returning the item was a hassle"]},
        "pos": {"zh": ["退货很顺利", "退款很快"], "en": ["The refund was quick", "Easy returns"]},
    },
    "app_website": {
        "neg": {"zh": ["小程序老是闪退", "网站太慢了"], "en": ["The app keeps crashing", "The website is really slow"]},
        "pos": {"zh": ["小程序很方便", "网站很方便"], "en": ["The app is easy to use", "The website works well"]},
    },
    "payment": {
        "neg": {"zh": ["付款时被重复扣款", "支付总是失败，很烦"], "en": ["I was charged twice", "Card payment failed again"]},
        "pos": {"zh": ["支付很方便", "付款很顺畅"], "en": ["Paying was easy", "Quick and easy payment"]},
    },
    "cleanliness": {
        "neg": {"zh": ["店里很脏，卫生很差", "卫生太差了"], "en": ["The store was dirty", "The toilets were filthy"]},
        "pos": {"zh": ["环境很干净", "店里干净整洁"], "en": ["Very clean store", "Spotless and tidy"]},
    },
    "complaint_handling": {
        "neg": {"zh": ["投诉了也没人处理", "投诉没有下文，很失望"],
                "en": ["Nobody responded to my complaint", "My complaint went nowhere, very disappointing"]},
        "pos": {"zh": ["问题很快就解决了", "投诉处理得很及时"],
                "en": ["They resolved my problem quickly", "My complaint was resolved quickly, great service"]},
    },
}
GENERIC = {
    "neg": {"zh": ["很失望", "不满意"], "en": ["Very disappointed", "Not happy"]},
    "mid": {"zh": ["还行", "一般般"], "en": ["It was OK", "Average"]},
    "pos": {"zh": ["很满意", "非常好"], "en": ["Great experience", "Very happy"]},
}
# What each kind of customer writes about: (bought online or in the app?, polarity) -> topic weights
WEIGHTS = {
    (True, "neg"): {"delivery": 0.32, "product_quality": 0.16, "returns_refunds": 0.12, "app_website": 0.12,
                    "price_value": 0.10, "payment": 0.08, "staff_attitude": 0.05, "complaint_handling": 0.05},
    (False, "neg"): {"waiting_time": 0.28, "staff_attitude": 0.22, "product_quality": 0.14, "price_value": 0.12,
                     "cleanliness": 0.12, "payment": 0.05, "returns_refunds": 0.04, "complaint_handling": 0.03},
    (True, "pos"): {"delivery": 0.22, "product_quality": 0.28, "price_value": 0.22, "app_website": 0.14,
                    "payment": 0.07, "returns_refunds": 0.07},
    (False, "pos"): {"staff_attitude": 0.38, "product_quality": 0.20, "cleanliness": 0.14, "price_value": 0.14,
                     "waiting_time": 0.08, "payment": 0.06},
}
# complaint category (csi.generate.complaints.CATEGORIES) -> topic of its description
CATEGORY_TOPICS = {"物流延迟": "delivery", "产品质量": "product_quality", "服务态度": "staff_attitude",
                   "价格争议": "price_value", "退换货": "returns_refunds", "售后维修": "product_quality",
                   "账户问题": "app_website"}
# the complaint stream's DETAILS (same order), in both languages
DETAILS = {"zh": ["多次联系无人处理", "希望尽快给个说法", "要求退款或补偿", "已经是第二次出现这个问题", "请尽快回电"],
           "en": ["I contacted you several times and nobody dealt with it", "Please give me an answer soon",
                  "I want a refund or compensation", "This is the second time this has happened",
                  "Please call me back as soon as possible"]}


def text_rng(first_id: str) -> np.random.Generator:
    """The texts' own generator for a batch (a day's responses or complaints)."""
    return np.random.default_rng([TEXT_SEED, zlib.crc32(first_id.encode())])


def _join(phrases: list[str], language: str) -> str:
    return "，".join(phrases) + "。" if language == "zh" else ". ".join(phrases) + "."


def _topics(rng: np.random.Generator, online: bool, polarity: str, k: int) -> list[str]:
    weights = WEIGHTS[(online, polarity)]
    p = np.array(list(weights.values()))
    return list(rng.choice(list(weights), size=k, replace=False, p=p / p.sum()))


def _phrase(rng: np.random.Generator, topic: str, polarity: str, language: str) -> str:
    options = PHRASES[topic][polarity][language]
    return options[int(rng.integers(len(options)))]


def survey_comments(rng: np.random.Generator, nps: np.ndarray, online: np.ndarray,
                    kiosk: np.ndarray | None = None) -> np.ndarray:
    """One comment per response from its (felt) NPS 0-10 and whether the order was online.

    The in-store kiosks ask in Chinese only, so their comments are all Chinese."""
    out = []
    kiosk = np.zeros(len(nps), bool) if kiosk is None else kiosk
    for score, is_online, is_kiosk in zip(nps.tolist(), online.tolist(), kiosk.tolist(), strict=True):
        language = "zh" if rng.random() < ZH_SHARE or is_kiosk else "en"
        kind = "neg" if score <= 6 else ("mid" if score <= 8 else "pos")
        if rng.random() < GENERIC_SHARE:
            options = GENERIC[kind][language]
            out.append(options[int(rng.integers(len(options)))])
            continue
        if kind == "mid":  # one thing praised, often one regretted
            phrases = [_phrase(rng, _topics(rng, is_online, "pos", 1)[0], "pos", language)]
            if rng.random() < 0.6:
                phrases.append(_phrase(rng, _topics(rng, is_online, "neg", 1)[0], "neg", language))
        else:
            k = 2 if rng.random() < TWO_TOPIC_SHARE else 1
            phrases = [_phrase(rng, t, kind, language) for t in _topics(rng, is_online, kind, k)]
        out.append(_join(phrases, language))
    return np.array(out, dtype=str)


def complaint_descriptions(rng: np.random.Generator, categories: np.ndarray, details: np.ndarray) -> np.ndarray:
    """A complaint's description: what went wrong (its category's topic) and the drawn detail."""
    out = []
    for category, detail in zip(categories.tolist(), details.tolist(), strict=True):
        language = "zh" if rng.random() < ZH_SHARE else "en"
        problem = _phrase(rng, CATEGORY_TOPICS[category], "neg", language)
        out.append(_join([problem, DETAILS[language][detail]], language))
    return np.array(out, dtype=str)
