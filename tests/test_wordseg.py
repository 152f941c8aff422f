"""jieba's dictionary cache is kept where only this user can write, never in the shared /tmp."""

import os
import stat
import subprocess
import sys


def test_jieba_cache_goes_to_a_private_directory(tmp_path):
    cache_home = tmp_path / "cache"
    planted = tmp_path / "tmp"
    planted.mkdir()
    (planted / "jieba.cache").write_bytes(b"\x00not marshal data")  # what another user could plant
    code = ("from chachong.text.wordseg import jieba; j = jieba(); print(j.lcut('学习贯彻党的二十大精神')); "
            "print(j.dt.tmp_dir)")
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home), "TMPDIR": str(planted)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    words, where = out.stdout.strip().splitlines()
    assert "学习" in words
    assert where == str(cache_home / "chachong")
    assert (cache_home / "chachong" / "jieba.cache").is_file()
    assert stat.S_IMODE((cache_home / "chachong").stat().st_mode) == 0o700
    assert (planted / "jieba.cache").read_bytes() == b"\x00not marshal data"  # never read nor rewritten


def test_a_directory_others_can_write_is_not_used(tmp_path):
    cache_home = tmp_path / "cache"
    (cache_home / "chachong").mkdir(parents=True)
    (cache_home / "chachong").chmod(0o777)
    code = "from chachong.text.wordseg import jieba; print(jieba().dt.tmp_dir)"
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    where = out.stdout.strip()
    assert where != str(cache_home / "chachong") and "chachong-jieba-" in where
    assert stat.S_IMODE(os.stat(where).st_mode) == 0o700
