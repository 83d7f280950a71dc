from inservice.search import tokens


def test_cjk_runs_give_characters_bigrams_and_trigrams_with_positions():
    assert tokens.tokens("數學課") == [
        ("數", 1),
        ("數學", 1),
        ("數學課", 1),
        ("學", 2),
        ("學課", 2),
        ("課", 3),
    ]


def test_nfkc_and_tai_folding_and_ascii_words():
    assert tokens.normalize("台北ＡＩ") == "臺北ai"
    assert [t for t, _p in tokens.tokens("Python 程式")] == ["python", "程", "程式", "式"]


def test_runs_are_not_adjacent_so_phrases_do_not_cross_punctuation():
    toks = tokens.tokens("數學，教學")
    assert "學教" not in [t for t, _p in toks]
    assert ("學", 2) in toks and ("教", 5) in toks  # a gap: 學 <-> 教 is not a phrase


def test_query_shapes():
    assert tokens.tsquery_literal("數") == "'數'"
    assert tokens.tsquery_literal("數學") == "'數學'"
    assert tokens.tsquery_literal("自然科") == "'自然科'"
    assert tokens.tsquery_literal("差異化教學") == "('差異化' <-> '異化教' <-> '化教學')"
    assert tokens.tsquery_literal("英語 Python") == "'英語' & 'python'"
    assert tokens.tsquery_literal("台") == "'臺'"
    assert tokens.tsquery_literal(" ，！ ") is None


def test_quotes_are_escaped_in_literals():
    assert tokens.quote("a'b\\") == "'a''b\\\\'"
    assert tokens.tsvector_literal("a'b") == "'a' 'b'"  # the quote separates two words


def test_only_trigrams_keep_their_positions():
    """Words of up to three characters are one lexeme each; only a longer word's phrase of
    trigrams needs positions."""
    assert tokens.tsvector_literal("數學課數學課", "AI") == (
        "'數' '數學' '數學課':1,4 '學' '學課' '學課數':2 '課' '課數' '課數學':3 'ai'"
    )


def test_codes_are_lexemes_without_positions_that_no_text_yields():
    codes = tokens.code_lexemes(
        {"county_id": 2, "category": "5-1", "topic_item": "", "target_stages": ["14-3", "14-4"]}
    )
    assert codes == ["county=2", "category=5-1", "stage=14-3", "stage=14-4"]
    assert tokens.tsvector_literal("數", codes=codes[:2]) == "'數' 'county=2' 'category=5-1'"
    # A text that spells a code is split into words: it never yields the code's lexeme.
    assert "county=2" not in {t for t, _p in tokens.tokens("county=2 category=5-1")}
