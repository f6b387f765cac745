"""Declarations of the text tables (METRICS.md section 13, docs/voice-of-customer.md).

fct_text holds one row per survey comment and per complaint description with its
language, sentiment and topics; fct_text_topic one row per text x topic, which is
what BI tools filter and count on. The topic ids are configuration
(csi/config/topics.yaml), so they get no closed vocabulary here. The two marts'
column order is their transform's (topics_monthly.COLUMNS, complaint_categories_monthly.COLUMNS);
topic_label, which the refresh joins from the dictionary, keeps its declared place.
"""

from __future__ import annotations

from csi.vocab import LANGUAGES, SENTIMENT_LABELS, TEXT_SOURCES
from csi.warehouse.declare import NN, C, TableDecl, in_order
from transforms.complaint_categories_monthly import COLUMNS as CATEGORIES_COLUMNS
from transforms.topics_monthly import COLUMNS as TOPICS_COLUMNS

PCT = {"min": 0, "max": 100}
NPS = {"min": -100, "max": 100}

FCT_TEXT = TableDecl(
    "fct_text", "fct",
    "One row per survey comment (a text question's non-null answer_text in fct_survey_answer) and per "
    "complaint description (fct_complaint, the latest version): language, sentiment and topics (METRICS 13).",
    (
        NN("text_id", "text", "'survey:<response_id>:<question_id>' or 'complaint:<complaint_id>'"),
        NN("source", "text", "survey or complaint", values=TEXT_SOURCES),
        C("response_id", "text", "survey response of a comment; null for a complaint"),
        C("question_id", "text", "text question of a comment (e.g. comment); null for a complaint"),
        C("complaint_id", "text", "complaint of a description; null for a comment"),
        NN("site_id", "text", "site the response or complaint is about"),
        C("customer_id", "text", "customer; null for an anonymous survey response"),
        NN("written_at", "timestamp", "the answer's submitted_at, the complaint's opened_at"),
        NN("written_date", "date", "date of written_at (its month is the mart month)"),
        NN("content", "text", "the text as delivered"),
        NN("language", "text", "zh (>= 30 % of the letters CJK ideographs, configurable), en (mostly Latin "
                               "letters) or other", values=LANGUAGES),
        NN("sentiment", "double", "lexicon score: sum of the scored terms' polarities (negated, intensified) "
                                  "/ number of scored terms, clipped to [-1, 1]; 0 without scored terms",
           min=-1, max=1),
        NN("sentiment_label", "text", "negative (sentiment < -0.05), positive (> 0.05) or neutral "
                                      "(thresholds configurable)", values=SENTIMENT_LABELS),
        NN("topics", "text", "topic ids found, sorted and joined by ';' ('' when none); one row each in "
                             "fct_text_topic"),
        NN("topic_count", "int", "number of topics found", min=0),
    ),
    key=("text_id",),
    indexes=(("response_id",), ("complaint_id",)),
)

FCT_TEXT_TOPIC = TableDecl(
    "fct_text_topic", "fct",
    "One row per text x topic it mentions (fct_text.topics, one topic a row), with the text's source, "
    "site, date and sentiment, so BI can count mentions without splitting strings.",
    (
        NN("text_id", "text", "the text (fct_text.text_id)"),
        NN("topic_id", "text", "a topic of the configured dictionary (csi/config/topics.yaml)"),
        NN("source", "text", "survey or complaint", values=TEXT_SOURCES),
        NN("site_id", "text", "site of the text"),
        NN("written_date", "date", "date of the text"),
        NN("sentiment_label", "text", "the text's sentiment label", values=SENTIMENT_LABELS),
    ),
    key=("text_id", "topic_id"),
    indexes=(("text_id",),),
)

OPS_PENDING_TEXTS = TableDecl(
    "ops_pending_text_key", "ops",
    "Responses and complaints whose texts must be re-analysed: copied from the pending fact keys before the "
    "refresh rebuilds the facts, consumed by the text step right after it (same transaction).",
    (
        NN("source", "text", "survey or complaint", values=TEXT_SOURCES),
        NN("source_id", "text", "response_id of a survey response, complaint_id of a complaint"),
    ),
    key=(),
)

OPS_TEXT_RULES = TableDecl(
    "ops_text_rules", "ops",
    "The text configuration fct_text was analysed with (one row): a different fingerprint re-analyses "
    "every text at the next refresh.",
    (
        NN("rules_fingerprint", "text", "TextRules.fingerprint(): sha256 of the topic dictionary, the "
                                        "sentiment lexicons and the rules"),
        NN("topic_count", "int", "topics in the dictionary", min=0),
    ),
    key=(),
)

MART_TOPICS_MONTHLY = TableDecl(
    "mart_topics_monthly", "mart",
    "Topics of the texts (METRICS 13): one row per month x site x source x topic (every dictionary topic, "
    "zero mentions included), plus site_id 'ALL' summed over the sites.",
    in_order(TOPICS_COLUMNS, (
        NN("month", "date", "first day of the month of written_at"),
        NN("site_id", "text", "site, or 'ALL' (the sum of the sites)"),
        NN("source", "text", "survey (comments) or complaint (descriptions)", values=TEXT_SOURCES),
        NN("topic_id", "text", "topic id of the dictionary"),
        C("topic_label", "text", "the topic's label in the dictionary (null for a topic no longer in it)"),
        NN("texts", "bigint", "texts of the site, month and source", min=0),
        NN("mentions", "bigint", "of them, texts that mention the topic", min=0),
        C("share_pct", "double", "100 * mentions / texts", **PCT),
        C("sentiment_sum", "double", "sum of the sentiment of the mentions"),
        C("sentiment_mean", "double", "sentiment_sum / mentions (null without mentions)", min=-1, max=1),
        NN("negative_count", "bigint", "mentions labelled negative", min=0),
        C("negative_pct", "double", "100 * negative_count / mentions", **PCT),
        C("nps_with_n", "bigint", "survey: commented responses with an NPS answer whose comment mentions the "
                                  "topic (a response counts once); null on complaint rows", min=0),
        C("nps_with_promoters", "bigint", "of them, promoters (9-10)", min=0),
        C("nps_with_detractors", "bigint", "of them, detractors (0-6)", min=0),
        C("nps_with", "double", "NPS of those responses: 100 * (promoters - detractors) / n", **NPS),
        C("nps_without_n", "bigint", "survey: commented responses with an NPS answer whose comment does not "
                                     "mention the topic; null on complaint rows", min=0),
        C("nps_without_promoters", "bigint", "of them, promoters", min=0),
        C("nps_without_detractors", "bigint", "of them, detractors", min=0),
        C("nps_without", "double", "NPS of those responses", **NPS),
        C("nps_impact", "double", "nps_with - nps_without: negative when the topic goes with lower NPS",
          min=-200, max=200),
    )),
    key=("month", "site_id", "source", "topic_id"), partition="month",
)

MART_COMPLAINT_CATEGORIES_MONTHLY = TableDecl(
    "mart_complaint_categories_monthly", "mart",
    "Complaints per month x site x category x channel (METRICS 13 and 6), plus site_id 'ALL' pooled: "
    "opened, closed, resolution, SLA, compensation and the top topics of the descriptions.",
    in_order(CATEGORIES_COLUMNS, (
        NN("month", "date", "first day of the month"),
        NN("site_id", "text", "site, or 'ALL' (pooled over the sites)"),
        C("category", "text", "complaint category (may be Chinese); a null category is its own group"),
        C("channel", "text", "complaint channel; a null channel is its own group"),
        NN("opened_count", "bigint", "complaints opened_at in the month", min=0),
        NN("compensation_sum", "double", "compensation of the complaints opened in the month", min=0),
        NN("closed_count", "bigint", "complaints closed_at in the month (any status)", min=0),
        C("resolution_hours_median", "double", "median (linear interpolation) of closed_at - opened_at in "
                                               "hours over the complaints closed in the month", min=0),
        NN("sla_met_count", "bigint", "closed-in-month complaints resolved within sla_hours[severity]", min=0),
        C("sla_met_pct", "double", "100 * sla_met_count / closed_count", **PCT),
        C("top_topic_1", "text", "the topic most mentioned by the descriptions of the complaints opened in "
                                 "the month (ties: smallest topic_id); null without mentions"),
        C("top_topic_1_mentions", "bigint", "descriptions mentioning top_topic_1", min=0),
        C("top_topic_2", "text", "the second most mentioned topic; null when fewer topics were mentioned"),
        C("top_topic_2_mentions", "bigint", "descriptions mentioning top_topic_2", min=0),
        C("top_topic_3", "text", "the third most mentioned topic; null when fewer topics were mentioned"),
        C("top_topic_3_mentions", "bigint", "descriptions mentioning top_topic_3", min=0),
    )),
    key=(),  # unique on (month, site_id, category, channel), category and channel nullable
    partition="month",
)
