"""Evaluation on a pairs file (issue 14, part 5): reading CSV and LFW's pairs.txt, making pairs from the
gallery, scoring (by hand and through the real model), the bounded zip, and the CLI."""

from __future__ import annotations

import io
import json
import math
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from facedemo.analysis import metrics
from facedemo.analysis.pairs import (
    Pair,
    PairsFileError,
    PhotoNotFoundError,
    evaluate_pairs,
    make_pairs,
    pairs_csv,
    parse_pairs,
    parse_same,
    photos_under,
    read_pairs,
    report_lines,
    score_pairs,
)
from facedemo.encoding.networks import DEFAULT_NETWORK, get_network
from facedemo.encoding.recipes import DEFAULT_RECIPE
from facedemo.io.archives import ArchiveError, read_photo_zip

JSON_KEYS = {"accuracy", "false_accepts", "false_rejects", "auc", "eer", "val_at_far_1e-3", "threshold", "failed"}


def blank_png() -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(np.full((200, 200, 3), 180, np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


# --- reading --------------------------------------------------------------------------------------
@pytest.mark.parametrize("word, same", [
    ("yes", True), ("Yes", True), ("YES", True), ("1", True), ("true", True), ("True", True), (" TRUE ", True),
    ("no", False), ("No", False), ("NO", False), ("0", False), ("false", False), ("False", False), ("FALSE", False),
])
def test_every_spelling_of_same_is_read(word, same):
    assert parse_same(word, line=2) is same
    pairs = parse_pairs(f"file_x,file_y,same\na.jpg,b.jpg,{word}\n")
    assert pairs == [Pair("a.jpg", "b.jpg", same, 2)]


@pytest.mark.parametrize("word", ["maybe", "", "2", "y", "oui"])
def test_any_other_same_is_refused_naming_the_line(word):
    with pytest.raises(PairsFileError, match=r"line 3 of 'p.csv': same is .*use yes/no, 1/0 or true/false"):
        read_pairs(f"file_x,file_y,same\na.jpg,b.jpg,yes\nc.jpg,d.jpg,{word}\n".encode(), name="'p.csv'")


def test_csv_with_a_bom_blank_lines_extra_columns_and_another_column_order():
    text = "\ufeffSame,File_X,note,file_y\n\n1,x/a.jpg,hi,y/b.jpg\n\nfalse,x/c.jpg,,y/d.jpg\n"
    assert read_pairs(text.encode("utf-8")) == [Pair("x/a.jpg", "y/b.jpg", True, 3), Pair("x/c.jpg", "y/d.jpg", False, 5)]


@pytest.mark.parametrize("text, message", [
    ("", "is empty"),
    ("\n \n", "is empty"),
    ("file_x,file_y,same\n", "holds no pairs"),
    ("file_x,file_y\na.jpg,b.jpg\n", "missing: same"),
    ("a,b,c\n", "needs the columns file_x,file_y,same"),
    ("file_x,file_y,same\na.jpg,b.jpg\n", "line 2 of the pairs file has 2 value"),
    ("file_x,file_y,same\n,b.jpg,yes\n", "line 2 of the pairs file: a photo's file name is empty"),
    ("hello world\n", "neither a CSV with the header file_x,file_y,same nor LFW's pairs.txt"),
])
def test_bad_files_say_what_is_wrong(text, message):
    with pytest.raises(PairsFileError, match=message):
        parse_pairs(text)


def test_a_file_that_is_not_text_or_not_there(tmp_path):
    with pytest.raises(PairsFileError, match="is not a text file"):
        read_pairs(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\xff\xfe")
    with pytest.raises(PairsFileError, match="does not exist"):
        read_pairs(tmp_path / "nope.csv")
    with pytest.raises(PairsFileError, match="is a folder"):
        read_pairs(tmp_path)
    with pytest.raises(PairsFileError, match="at most 1 are evaluated"):
        parse_pairs("file_x,file_y,same\na,b,1\nc,d,0\n", max_pairs=1)


LFW = """2\t2
Abel_Pacheco\t1\t4
Akhmed_Zakayev\t1\t3
Abdel_Madi_Shabneh\t1\tDean_Barker\t1
Abdel_Madi_Shabneh\t1\tGiancarlo_Fisichella\t1
Zico\t1\t2
Zico\t2\t3
Zoe_Ball\t1\tZorica_Radovic\t1
Zulfiqar_Ahmed\t1\tZurab_Tsereteli\t12
"""


def test_lfw_pairs_txt_names_lfw_files():
    pairs = parse_pairs(LFW)
    assert len(pairs) == 8 and [p.same for p in pairs] == [True, True, False, False] * 2
    assert pairs[0] == Pair("Abel_Pacheco/Abel_Pacheco_0001.jpg", "Abel_Pacheco/Abel_Pacheco_0004.jpg", True, 2)
    assert pairs[2] == Pair("Abdel_Madi_Shabneh/Abdel_Madi_Shabneh_0001.jpg", "Dean_Barker/Dean_Barker_0001.jpg", False, 4)
    assert pairs[-1].file_y == "Zurab_Tsereteli/Zurab_Tsereteli_0012.jpg"
    # a lone N: N same and N different pairs (pairsDevTrain.txt), or N in all
    assert len(parse_pairs("1\nZico 1 2\nZoe_Ball 1 Zorica_Radovic 1\n")) == 2
    assert len(parse_pairs("3\nZico 1 2\nZico 2 3\nZoe_Ball 1 Zorica_Radovic 1\n")) == 3


def test_lfw_files_that_do_not_add_up_or_have_a_bad_line():
    with pytest.raises(PairsFileError, match="says 2 folds of 2 same and 2 different pairs, but the file holds 7"):
        parse_pairs(LFW.rsplit("\n", 2)[0] + "\n")
    with pytest.raises(PairsFileError, match=r"line 3 of the pairs file is 'Zico one 2'; LFW's pairs.txt has"):
        parse_pairs("1\nZico 1 2\nZico one 2\n")
    with pytest.raises(PairsFileError, match="line 2 .* 'Zico 1'"):
        parse_pairs("1\nZico 1\n")


# --- making ---------------------------------------------------------------------------------------
def test_make_pairs_from_labelled_folders(tmp_path):
    for split, people in {"val": ["ann", "bob"], "train": ["ann", "bob", "cy"]}.items():
        for person in people:
            (tmp_path / split / person).mkdir(parents=True)
            for k in range(2):
                (tmp_path / split / person / f"{k}.jpg").write_bytes(b"x")
    pairs, root = make_pairs(tmp_path / "val", tmp_path / "train")
    assert root == tmp_path and len(pairs) == 4 * 6
    assert sum(p.same for p in pairs) == 2 * 2 * 2  # each val photo × its person's 2 train photos
    assert pairs[0] == Pair("val/ann/0.jpg", "train/ann/0.jpg", True, 2)
    assert all(p.same == (p.file_x.split("/")[1] == p.file_y.split("/")[1]) for p in pairs)
    assert len(make_pairs(tmp_path / "val", tmp_path / "train", per_person=1)[0]) == 2 * 6
    within, root = make_pairs(tmp_path / "train")
    assert root == tmp_path and len(within) == 6 * 5 // 2 and sum(p.same for p in within) == 3
    assert parse_pairs(pairs_csv(pairs)) == pairs  # written and read back, lines included


def test_make_pairs_from_the_gallery_resolves_under_its_root(gallery_dir):
    pairs, root = make_pairs(gallery_dir / "val", gallery_dir / "train")
    assert root == gallery_dir and len(pairs) == 25 * 93
    opened = photos_under(root)
    assert all(opened(name).is_file() for name in {p.file_x for p in pairs[:50]} | {p.file_y for p in pairs[:50]})
    with pytest.raises(PhotoNotFoundError, match="the photo 'val/nobody/1.jpg' is missing"):
        opened("val/nobody/1.jpg")


# --- scoring, by hand -----------------------------------------------------------------------------
def unit(angle: float) -> np.ndarray:
    return np.array([math.cos(angle), math.sin(angle)], dtype=np.float32)


def test_scoring_by_hand_counts_a_failed_photo_as_a_wrong_answer():
    # chord lengths between unit vectors at angles: d = 2 sin(Δ/2)
    vectors = {"a": unit(0.0), "a2": unit(0.3), "b": unit(1.0), "c": unit(2.5)}
    pairs = [Pair("a", "a2", True), Pair("a", "b", False), Pair("a2", "b", True), Pair("b", "c", False),
             Pair("a", "gone", True), Pair("c", "gone", False)]
    report = score_pairs(pairs, vectors, {"gone": "no face found in 'gone'"}, threshold=0.9,
                         recipe="r", network="n")
    # a-a2 0.30 (accepted, right) · a-b 0.96 (rejected, right) · a2-b 0.69 (accepted, right) · b-c 1.36 (right)
    assert (report.true_accepts, report.true_rejects, report.false_accepts, report.false_rejects) == (2, 2, 0, 0)
    assert len(report.failed_pairs) == 2 and report.n_scored == 4
    assert report.accuracy == pytest.approx(4 / 6)  # the two pairs with 'gone' are wrong
    assert report.auc == 1.0 and report.eer == 0.0
    assert report.failed_photos == {"gone": "no face found in 'gone'"}
    assert any("2 pairs hold a photo that could not be encoded" in note for note in report.notes)

    strict = score_pairs(pairs, vectors, {"gone": "x"}, threshold=0.5, recipe="r", network="n")
    assert [o.pair for o in strict.false_reject_pairs] == [Pair("a2", "b", True)]
    loose = score_pairs(pairs, vectors, {"gone": "x"}, threshold=1.0, recipe="r", network="n")
    assert [o.pair for o in loose.false_accept_pairs] == [Pair("a", "b", False)]
    assert loose.false_accept_pairs[0].distance == pytest.approx(2 * math.sin(0.5), abs=1e-6)
    with pytest.raises(ValueError, match="neither encoded nor failed"):
        score_pairs([Pair("a", "zz", True)], vectors, {}, threshold=1.0, recipe="r", network="n")


# --- the real model -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def gallery_report(encoder, gallery_dir):
    """2 val photos per person × every train photo, plus two pairs whose photo fails, through the real model."""
    pairs, root = make_pairs(gallery_dir / "val", gallery_dir / "train", per_person=2)
    first = pairs[0].file_x
    pairs += [Pair(first, "val/nobody/wall.png", False, 9001), Pair("val/ghost/1.jpg", first, True, 9002)]
    inside = photos_under(root)
    wall = blank_png()
    seen: list[tuple[int, int]] = []
    report = evaluate_pairs(pairs, encoder, DEFAULT_RECIPE,
                            open_photo=lambda name: wall if name.endswith("wall.png") else inside(name),
                            on_progress=lambda done, total: seen.append((done, total)))
    return report, seen


def test_a_gallery_pairs_file_through_the_real_model(gallery_report):
    report, seen = gallery_report
    threshold = get_network(DEFAULT_NETWORK).threshold(DEFAULT_RECIPE, "pair")
    assert report.threshold == threshold and report.recipe == DEFAULT_RECIPE and report.network == DEFAULT_NETWORK
    assert report.n_pairs == 10 * 93 + 2 and report.n_photos == 10 + 93 + 2
    assert seen[-1] == (report.n_photos, report.n_photos) and len(seen) == report.n_photos  # each photo once
    counts = (report.true_accepts, report.true_rejects, report.false_accepts, report.false_rejects)
    assert sum(counts) + len(report.failed_pairs) == report.n_pairs
    assert len(report.false_accept_pairs) == report.false_accepts and len(report.false_reject_pairs) == report.false_rejects
    assert all(o.distance < threshold for o in report.false_accept_pairs)
    assert all(o.distance >= threshold for o in report.false_reject_pairs)
    scored = [o for o in report.outcomes if not o.failed]
    genuine = [o.distance for o in scored if o.pair.same]
    impostor = [o.distance for o in scored if not o.pair.same]
    rates = metrics.rates_at(threshold, genuine, impostor)
    assert (rates.true_accepts, rates.false_accepts) == (report.true_accepts, report.false_accepts)
    assert report.accuracy == pytest.approx(rates.accuracy * len(scored) / report.n_pairs)
    assert report.accuracy < rates.accuracy  # the two failed pairs are wrong answers
    assert 0.9 < report.auc <= 1.0 and report.auc == pytest.approx(metrics.roc_auc(genuine, impostor))
    assert 0.0 <= report.eer < 0.1 and 0.5 < report.val <= 1.0
    assert (report.best_threshold, report.best_accuracy) == metrics.best_accuracy_threshold(genuine, impostor)
    assert set(report.failed_photos) == {"val/nobody/wall.png", "val/ghost/1.jpg"}
    assert "no face" in report.failed_photos["val/nobody/wall.png"].lower()
    assert "missing" in report.failed_photos["val/ghost/1.jpg"]
    text = "\n".join(report_lines(report))
    assert "failed photos: 2 (2 pairs counted as wrong)" in text and "counts as a wrong answer" in text
    data = report.as_dict()
    assert JSON_KEYS <= data.keys() and len(data["failed"]) == 2 and data["failed_pairs"] == 2
    json.dumps(data)  # plain data


# --- the bounded zip ------------------------------------------------------------------------------
def zip_of(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_zip_of_photos_is_read_in_memory_and_found_by_the_pairs_names():
    photos = read_photo_zip(zip_of({"images/val/ann/1.jpg": b"a", "images/train/ann/1.jpg": b"b",
                                    "images/pairs.csv": b"x", "__MACOSX/._1.jpg": b"", ".DS_Store": b"",
                                    "images/val/": b""}))
    assert len(photos) == 2 and photos.skipped == ("images/pairs.csv",)
    assert photos.find("val/ann/1.jpg") == b"a" and photos.find("images/train/ann/1.jpg") == b"b"
    with pytest.raises(PhotoNotFoundError, match="is ambiguous"):
        photos.find("ann/1.jpg")
    with pytest.raises(PhotoNotFoundError, match="it is not in the zip"):
        photos.find("val/bob/1.jpg")


@pytest.mark.parametrize("files, limits, message", [
    ({"../evil.jpg": b"x"}, {}, "a path that leaves the zip"),
    ({"a/../../evil.jpg": b"x"}, {}, "a path that leaves the zip"),
    ({"/etc/evil.jpg": b"x"}, {}, "a path that leaves the zip"),
    ({f"{k}.jpg": b"x" for k in range(4)}, {"max_files": 3}, "more than 3 photos"),
    ({f"{k}.txt": b"x" for k in range(13)}, {"max_files": 3}, "holds 13 files and folders"),
    ({"big.jpg": b"x" * 3000}, {"max_file_bytes": 2000}, "allowed for one photo"),
    ({"a.jpg": b"x" * 1500, "b.jpg": b"y" * 1500}, {"max_total_bytes": 2000}, "unpacks to more than allowed"),
    ({"bomb.jpg": bytes(8 * 1024 * 1024)}, {}, "a zip bomb"),
    ({"notes.txt": b"x"}, {}, "holds no photos"),
])
def test_a_zip_beyond_its_bounds_is_refused_in_a_sentence(files, limits, message):
    with pytest.raises(ArchiveError, match=message):
        read_photo_zip(zip_of(files), **limits)


def test_not_a_zip():
    with pytest.raises(ArchiveError, match="is not a zip file"):
        read_photo_zip(b"PK\x03\x04 not really")


# --- the CLI --------------------------------------------------------------------------------------
def test_cli_make_pairs_then_evaluate_as_json(tmp_path, gallery_dir):
    from tests.test_cli import run

    small = tmp_path / "people"
    for person in ("madonna", "elton_john"):
        for split in ("val", "train"):
            (small / split / person).mkdir(parents=True)
            for source in sorted((gallery_dir / split / person).glob("*.jpg"))[:2]:
                (small / split / person / source.name).write_bytes(source.read_bytes())
    (small / "val" / "madonna" / "wall.png").write_bytes(blank_png())
    made = run("make-pairs", str(small / "val"), str(small / "train"), "-o", str(tmp_path / "pairs.csv"))
    assert made.returncode == 0, made.stderr
    assert f"--root {small}" in made.stdout and "20 pairs (10 same person, 10 different people)" in made.stdout
    result = run("--json", "evaluate", "--pairs", str(tmp_path / "pairs.csv"), "--root", str(small))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert JSON_KEYS <= report.keys()
    assert report["threshold"] == get_network(DEFAULT_NETWORK).threshold(DEFAULT_RECIPE, "pair")
    assert report["pairs"] == 20 and report["failed_pairs"] == 4  # the wall × the 4 train photos
    assert [f["photo"] for f in report["failed"]] == ["val/madonna/wall.png"]
    right = report["true_accepts"] + report["true_rejects"]
    assert right + report["false_accepts"] + report["false_rejects"] + report["failed_pairs"] == 20
    assert report["accuracy"] == pytest.approx(right / 20, abs=1e-6)
    text = run("evaluate", "--pairs", str(tmp_path / "pairs.csv"), "--root", str(small))
    assert "accuracy at the default threshold" in text.stdout and "failed: val/madonna/wall.png" in text.stdout


def test_cli_bad_pairs_files_are_one_plain_line(tmp_path):
    from tests.test_cli import run

    bad = tmp_path / "bad.csv"
    bad.write_text("file_x,file_y,same\na.jpg,b.jpg,perhaps\n")
    result = run("evaluate", "--pairs", str(bad))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert "error: line 2 of 'bad.csv': same is 'perhaps'" in result.stderr
    both = run("evaluate", "images/val", "--pairs", str(bad))
    assert both.returncode == 1 and "not both" in both.stderr
    nowhere = run("evaluate", "--pairs", str(Path(tmp_path) / "missing.csv"))
    assert nowhere.returncode == 1 and "does not exist" in nowhere.stderr
