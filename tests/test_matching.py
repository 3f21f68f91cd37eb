from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.content import Content
from bot.engine import Engine
from bot.matching import MatchIndex, translit

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def index(mini_content: Content) -> MatchIndex:
    return MatchIndex(mini_content)


@pytest.mark.parametrize(
    ("text", "kind", "target"),
    [
        ("he is not breathing", "emergency", "emergency-overdose"),
        ("NOT BREATHINGGG!!!", "emergency", "emergency-overdose"),
        ("lips blue", "emergency", "emergency-overdose"),  # any word order
        ("passed out and snoring", "emergency", "emergency-overdose"),  # ...two are
        ("где взять наркан", "answer", "naloxone"),
        ("она не дышит", "emergency", "emergency-overdose"),
        ("menu", "flow", "menu"),
        ("narcan", "answer", "naloxone"),
        ("nalaxone", "answer", "naloxone"),  # misspelt
        ("did arsenal win", "fallback", None),
        ("sdfghj", "fallback", None),
    ],
)
def test_routes(index: MatchIndex, text: str, kind: str, target: str | None) -> None:
    d = index.classify(text)
    if kind == "answer" and target is None:
        assert d.kind != "emergency"
        return
    assert (d.kind, d.id) == (kind, target)


def test_scores_are_visible_and_ordered(index: MatchIndex) -> None:
    strong = index.classify("where do i get narcan", "en")
    weak = index.classify("narcan football weather", "en")
    assert strong.score > weak.score
    assert strong.as_dict() == {"locale": "en", "kind": "answer", "id": "naloxone", "score": round(strong.score, 3)}


@pytest.mark.parametrize(
    ("text", "pair"),
    [
        ("coke and beer", ("alcohol", "cocaine")),
        ("can i drink on dope", ("alcohol", "opioids")),
        ("coke+heroin", ("cocaine", "opioids")),
        ("oxy booze", ("alcohol", "opioids")),  # short: no connector needed
        ("кокс и водка", ("alcohol", "cocaine")),
        ("coke with a few beers or is that a bad idea", ("alcohol", "cocaine")),  # "or" with no substance after it
    ],
)
def test_combos(index: MatchIndex, text: str, pair: tuple[str, str]) -> None:
    d = index.classify(text)
    assert d.kind == "combo" and d.substances == pair
    assert d.as_dict()["risk"] in ("unsafe", "dangerous")


@pytest.mark.parametrize(
    "text",
    ["is coke or heroin worse", "difference between coke and heroin", "how much water should i drink after coke", "coke coke"],
)
def test_not_combos(index: MatchIndex, text: str) -> None:
    assert index.classify(text, "en").kind != "combo"


def test_clarify_offers_close_candidates(index: MatchIndex) -> None:
    """Two targets about as probable as each other: the person is asked which one was meant."""
    readings = index.readings("naloxone alcohol", "en")
    p = np.zeros(len(index.model.labels))
    p[index.model.labels.index("answer:naloxone")], p[index.model.labels.index("answer:alcohol")] = 0.48, 0.45
    d = index._decide("en", readings[0], readings, p)
    assert d.kind == "clarify" and set(d.candidates) == {"naloxone", "alcohol"}
    assert d.as_dict()["candidates"] == list(d.candidates)
    p[index.model.labels.index("answer:alcohol")] = 0.2  # one clearly ahead: its answer
    assert (index._decide("en", readings[0], readings, p).kind, index._decide("en", readings[0], readings, p).id) == ("answer", "naloxone")


def test_locale_detection(index: MatchIndex) -> None:
    assert index.detect_locale("не дышит", "en") == "ru"
    assert index.detect_locale("not breathing", "ru") == "en"
    assert index.detect_locale("12345 !!!", "ru") == "ru"


def test_topics_copy_matches_the_shared_contract() -> None:
    shared = ROOT.parent / "shared" / "topics.yaml"
    if not shared.exists():
        pytest.skip("no shared/ beside the checkout")
    assert (ROOT / "knowledge" / "topics.yaml").read_text() == shared.read_text()


def test_an_unanswered_message_that_leans_to_an_emergency_gets_the_steps(real_engine: Engine) -> None:
    """A message of a few words that the rule net does not know (an emergency nobody wrote down), where the model
    leans to an emergency: the steps, not "I did not understand". Inside a long message a sentence alone does not
    decide this way; and where one word is all the evidence, only when nothing else would be answered."""
    index = real_engine.bundle.index
    labels = index.model.labels
    em = labels.index("emergency:emergency-opioid-overdose")
    answer = labels.index("answer:overdose-signs")

    def probs(em_p: float, answer_p: float) -> np.ndarray:
        p = np.zeros(len(labels))
        rest = [i for i in range(len(labels)) if i not in (em, answer) and index.kind_of[i] != "emergency"]
        p[rest] = (1.0 - em_p - answer_p) / len(rest)  # thinly spread: nothing else is near an answer
        p[em], p[answer] = em_p, answer_p
        return p

    readings = index.readings("his lips look weird", "en")  # no sign of the rule net ("odd" is "od"); 3 known words
    reading = readings[0]
    got = index._decide("en", reading, readings, probs(0.45, 0.05))
    assert (got.kind, got.id) == ("emergency", "emergency-opioid-overdose")
    assert index._decide("en", reading, readings, probs(0.45, 0.05), whole=False).kind != "emergency"  # one sentence of several
    assert index._decide("en", reading, readings, probs(0.30, 0.05)).kind != "emergency"  # too little of it

    readings = index.readings("cyanotic lips", "en")  # one known word: evidence only when nothing else is answered
    reading = readings[0]
    got = index._decide("en", reading, readings, probs(0.45, 0.05))
    assert (got.kind, got.id) == ("emergency", "emergency-opioid-overdose")
    answered = index._decide("en", reading, readings, probs(0.45, 0.40))
    assert (answered.kind, answered.id, answered.urgent) == ("answer", "overdose-signs", "emergency-opioid-overdose")


def test_the_rule_net_says_whether_and_a_sure_model_says_which_emergency(real_engine: Engine) -> None:
    index = real_engine.bundle.index
    labels = index.model.labels

    def probs(**flows: float) -> np.ndarray:
        p = np.zeros(len(labels))
        for name, value in flows.items():
            p[labels.index("emergency:emergency-" + name.replace("_", "-"))] = value
        return p

    which = index._which_emergency
    assert which("emergency-opioid-overdose", "emergency-seizure", probs(seizure=0.7, opioid_overdose=0.2)) == "emergency-seizure"
    # not sure it is an emergency, or not sure of the flow: the rule net's flow
    assert which("emergency-opioid-overdose", "emergency-seizure", probs(seizure=0.2, opioid_overdose=0.05)) == "emergency-opioid-overdose"
    assert which("emergency-unresponsive", "emergency-seizure", probs(seizure=0.35, unresponsive=0.3)) == "emergency-unresponsive"
    assert which(None, "emergency-seizure", probs(seizure=0.3)) == "emergency-seizure"  # the model alone


def test_a_word_the_content_lacks_is_read_from_its_letters_only_when_the_model_is_sure(real_engine: Engine) -> None:
    """No word of "boldenonne" is a word of the content; its letters may still make the model sure of one answer
    (a steroid it does not list). Sure: that answer; unsure: "I did not understand", never a guess."""
    index = real_engine.bundle.index
    readings = index.readings("boldenonne", "en")
    assert not any(f"w:{s}" in index.model.vocab for s in readings[0].stems) and not readings[0].substances
    labels = index.model.labels
    p = np.zeros(len(labels))
    p[labels.index("answer:steroids-ipeds")] = 0.7
    got = index._decide("en", readings[0], readings, p)
    assert (got.kind, got.id) == ("answer", "steroids-ipeds")
    p[labels.index("answer:steroids-ipeds")] = 0.3
    assert index._decide("en", readings[0], readings, p).kind == "fallback"


def test_flow_examples_teach_the_model_but_never_fire_the_rule_net(mini_tree: Path) -> None:
    """`examples:` are whole messages the model learns a flow from; the rule net looks only at triggers, so an
    example holding the words of one ("snoring") does not make those words an emergency on their own."""
    from bot.content import load_content

    example = "we left my cousin on the sofa after the party and now he is snoring weirdly"
    flow = mini_tree / "dialogues" / "emergency-overdose.yaml"
    flow.write_text(flow.read_text().replace("signals:", f'examples:\n  en: ["{example}"]\nsignals:', 1))
    index = MatchIndex(load_content(mini_tree), cache=False)
    assert ("emergency:emergency-overdose", "en", example) in index.training_texts()
    readings = index.readings(example, "en")
    assert index._rule_net(readings, None)[:2] == ("emergency-overdose", 0.5)  # only the trigger "0.5: snoring"
    assert index._rule_net(index.readings("we left my cousin on the sofa after the party", "en"), None)[0] is None


def test_naive_bayes_weights_are_scikit_learns() -> None:
    """The naive Bayes half is computed from sparse counts (MultinomialNB's dense float64 counts did not fit in
    memory at 20x content); it must be the same model."""
    from scipy.sparse import random as sparse_random
    from sklearn.naive_bayes import MultinomialNB

    from bot.matching.model import NB_ALPHA, Model

    rng = np.random.default_rng(0)
    x = sparse_random(60, 40, density=0.1, format="csr", dtype=np.float32, random_state=1)
    y = rng.choice([0, 2, 3], size=60)  # label 1 has no examples
    labels = ["a", "b", "c", "d"]
    weights = np.zeros((40, 8), dtype=np.float32)
    bias = np.full(8, -1e9, dtype=np.float32)
    model = Model._add_naive_bayes(labels, {str(i): i for i in range(40)}, np.ones(40, dtype=np.float32), weights, bias, x, y)
    nb = MultinomialNB(alpha=NB_ALPHA).fit(x, y)
    assert np.allclose(model.weights[:, [4, 6, 7]], nb.feature_log_prob_.T, atol=1e-5)
    assert np.allclose(model.bias[[4, 6, 7]], nb.class_log_prior_, atol=1e-6)
    assert model.bias[5] == -1e9 and not model.weights[:, 5].any()


def test_what_a_negation_reaches_is_a_feature_of_its_own(real_engine: Engine) -> None:
    """The two words after a negation, and the word before a postposed "нет", are features apart from the
    words themselves: "no seizures" must not teach the model what "seizures" teaches it."""
    index = real_engine.bundle.index
    first = index.readings("no seizures and he is breathing", "en")[0]
    assert first.negated and set(first.negated) <= set(first.stems)
    assert {f"n:{s}" for s in first.negated} <= set(first.keys())
    plain = index.readings("seizures and he is breathing", "en")[0]
    plain_keys = plain.keys()
    assert not plain.negated and not any(k.startswith("n:") for k in plain_keys)
    ru = index.readings("судорог нет", "ru")[0]
    assert ru.negated == ru.stems[:1]  # the word before "нет"
    # the content teaches these features: the model knows some of them
    assert any(k.startswith("n:") for k in index.model.vocab)


def test_latin_letters_find_the_word_meant_before_typo_correction(real_engine: Engine) -> None:
    """Latin letters do not tell ы from и or й ("pervii"): the folded spelling finds «первый» before typo
    correction takes the token for a content word that looks alike (первитин, a substance)."""
    index = real_engine.bundle.index
    ru = next(r for r in index.readings("pervii raz probuyu", "en") if r.locale == "ru")
    assert ru.translit and ru.words[0] == "первый" and not ru.substances
    assert index.latin_words["ru"][translit.fold("первый")] == "первый"
    assert "en" not in index.latin_words and "uk" not in index.latin_words  # Russian only


def test_a_reading_that_knows_little_of_the_message_names_no_substance(real_engine: Engine) -> None:
    """The English reading of Russian in Latin letters knows few of its words and may still "find" substances
    ("k" is ketamine); a combo takes them only from the chosen reading or one that knows half the message."""
    import dataclasses

    index = real_engine.bundle.index
    text = "pervii raz kokain s alkogolem"
    readings = index.readings(text, "en")
    en = readings[0]
    assert en.locale == "en" and en.share < 0.5
    noisy = [dataclasses.replace(en, substances=("ketamine", "methamphetamine", "mdma")), *readings[1:]]
    reading, p = index._best_reading(noisy)
    assert reading.locale in ("ru", "uk")
    got = index._decide(reading.locale, reading, noisy, p)
    assert (got.kind, got.substances) == ("combo", ("alcohol", "cocaine"))
