from bot.matching import Analyzer, basic_tokens


def test_case_nfkc_yo_punctuation_and_stretching() -> None:
    assert basic_tokens("HELP!!! he's NOT breathinggg...") == ["help", "hes", "not", "breathing"]
    assert basic_tokens("Ｃｏｋｅ＋ｂｅｅｒ") == ["coke", "plus", "beer"]  # full-width forms (NFKC)
    assert basic_tokens("Ещё передоз?!") == ["еще", "передоз"]
    assert basic_tokens("plsss hellllp") == ["pls", "help"]
    assert basic_tokens("coke&molly") == ["coke", "and", "molly"]


def test_invisible_and_control_characters_are_dropped() -> None:
    assert basic_tokens("na\u200blox\u200done\x00") == ["naloxone"]
    assert basic_tokens("\u202enarcan\u202c") == ["narcan"]
    assert basic_tokens("") == [] and basic_tokens("   \n\t ") == []


def test_long_text_is_cut_before_matching() -> None:
    assert len(basic_tokens("word " * 100_000)) <= 200


def make() -> Analyzer:
    analyzer = Analyzer(
        "en",
        stopwords=["the", "a", "is", "i"],
        synonyms={"naloxone": ["narcan", "nasal narcan"], "overdose": ["od", "overdosing"], "ghb": ["g", "liquid ecstasy"]},
    )
    analyzer.learn(["how to use naloxone", "signs of an overdose", "heroin tolerance"])
    analyzer.freeze()
    return analyzer


def test_synonyms_stopwords_and_stems() -> None:
    a = make()
    assert a.analyse("Is the NARCAN working") == ("naloxon", "work")
    assert a.analyse("nasal narcan") == ("naloxon",)
    assert a.analyse("liquid ecstasy") == ("ghb",)
    assert a.analyse("overdosing") == a.analyse("overdose") == ("overdos",)


def test_misspellings_are_corrected_to_known_words() -> None:
    a = make()
    assert a.analyse("herion") == a.analyse("heroin")
    assert a.analyse("nalaxone") == a.analyse("naloxone")
    assert a.analyse("tolerence") == a.analyse("tolerance")
    assert a.analyse("xyzzy") == ("xyzzi",)  # nothing close: left alone


def test_russian_stems_and_yo() -> None:
    a = Analyzer("ru", stopwords=["я"], synonyms={"героин": ["гера", "хмурый"]})
    a.learn(["передозировка героином"])
    a.freeze()
    assert a.analyse("геры") == a.analyse("гера") == a.analyse("героин")
    assert a.analyse("ёлка") == a.analyse("елка")
