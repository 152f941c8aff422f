"""The tagged words of jieba's dictionary (idioms, set phrases, place names): the same words as a
plain reading of ``dict.txt``, kept in chachong's private cache folder and used from there only
while the dictionary is the one they were read from."""

import json
import os
import subprocess
import sys

from chachong.stages.dictionary import TAGS, dictionary_file, tagged_words
from chachong.stages.describe import place_names
from chachong.stages.phrase_words import fixed_expressions

_RUN = ("import json; from chachong.stages.dictionary import tagged_words; "
        "print(json.dumps({t: len(w) for t, w in tagged_words().items()})); "
        "print(json.dumps(sorted(tagged_words()['ns'])[:3], ensure_ascii=False))")


def _plain() -> dict[str, set[str]]:
    words: dict[str, set[str]] = {t: set() for t in TAGS}
    for line in dictionary_file().read_text(encoding="utf-8").splitlines():
        word, _freq, tag = line.split()
        if tag in words:
            words[tag].add(word)
    return words


def test_the_words_of_each_tag_and_what_the_stages_take_of_them():
    plain = _plain()
    got = tagged_words()
    assert {t: set(w) for t, w in got.items()} == plain
    assert len(plain["ns"]) > 10_000 and "成语" not in plain["ns"] and "北京" in plain["ns"]
    assert fixed_expressions() == frozenset(plain["i"] | plain["l"]) and "高度重视" in fixed_expressions()
    assert place_names() == frozenset(w for w in plain["ns"] if 2 <= len(w) <= 6)


def _run(cache_home) -> list[str]:
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    out = subprocess.run([sys.executable, "-c", _RUN], capture_output=True, text=True, env=env, check=True)
    return out.stdout.strip().splitlines()


def test_kept_in_the_private_cache_and_read_back_only_for_the_same_dictionary(tmp_path):
    first = _run(tmp_path)
    kept = tmp_path / "chachong" / "dictionary_tags.json"
    data = json.loads(kept.read_text(encoding="utf-8"))
    assert data["key"]["path"] == str(dictionary_file()) and set(data["words"]) == set(TAGS)
    # read back from the cache: a word planted there shows (the same user's folder, mode 0700)
    data["words"]["ns"] = ["一一一"] + data["words"]["ns"]
    kept.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert json.loads(_run(tmp_path)[1])[0] == "一一一"
    # kept for another dictionary (its size differs): read again from dict.txt, and kept anew
    data["key"]["size"] += 1
    kept.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert _run(tmp_path) == first
    assert json.loads(kept.read_text(encoding="utf-8"))["key"]["size"] == dictionary_file().stat().st_size
    # a damaged file is read past
    key = json.loads(kept.read_text(encoding="utf-8"))["key"]
    for junk in ("{not json", json.dumps({"key": key}), json.dumps({"key": key, "words": {t: [1] for t in TAGS}}),
                 json.dumps([1, 2])):
        kept.write_text(junk, encoding="utf-8")
        assert _run(tmp_path) == first


def test_without_a_private_cache_folder_the_words_are_read_each_time(tmp_path):
    (tmp_path / "chachong").mkdir()
    (tmp_path / "chachong").chmod(0o777)  # others could write there: not used
    assert _run(tmp_path) == _run(tmp_path / "fresh")
    assert not (tmp_path / "chachong" / "dictionary_tags.json").exists()
