"""The Evaluate page with AppTest: a zip of photos and a pairs file uploaded, the report found by key and text."""

from __future__ import annotations

import io
import zipfile

import pytest

from facedemo.analysis.units import l2_to_cosine
from facedemo.encoding.networks import DEFAULT_NETWORK, get_network
from facedemo.encoding.recipes import DEFAULT_RECIPE
from tests.test_app_analysis import open_page, rerun
from tests.test_app_pages import blank_png, metric, seen, table, texts

PAGE = "app_pages/evaluate.py"


def zip_of(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def small_upload(gallery_dir):
    """A zip of 2 people × (1 val + 2 train photos) and a photo without a face, one folder deep as a zipped
    folder is; the pairs: each val photo × each train photo, a pair with the wall, a pair with a missing photo, and
    a photo against itself labelled "different people" (distance 0: a false accept at any threshold)."""
    files, names = {}, {}
    for person in ("madonna", "elton_john"):
        for split, count in (("val", 1), ("train", 2)):
            for path in sorted((gallery_dir / split / person).glob("*.jpg"))[:count]:
                name = f"{split}/{person}/{path.name}"
                files[f"photos/{name}"] = path.read_bytes()
                names.setdefault((split, person), []).append(name)
    files["photos/val/nobody/wall.png"] = blank_png()
    rows = [(x, y, "yes" if px == py else "no")
            for (sx, px), xs in names.items() if sx == "val" for x in xs
            for (sy, py), ys in names.items() if sy == "train" for y in ys]
    rows += [("val/nobody/wall.png", names[("train", "madonna")][0], "no"),
             (names[("val", "madonna")][0], "val/ghost/1.jpg", "yes"),
             (names[("val", "madonna")][0], names[("val", "madonna")][0], "no")]  # mislabelled: a false accept at 0
    pairs = "file_x,file_y,same\n" + "".join(f"{x},{y},{same}\n" for x, y, same in rows)
    return zip_of(files), pairs.encode(), len(rows)


@pytest.fixture
def page(gallery_dir):
    at = open_page(PAGE)
    assert seen(at, "Upload both the zip of photos and the pairs file")
    return at


def upload(at, zip_bytes: bytes, pairs: bytes, pairs_name: str = "pairs.csv"):
    at.file_uploader(key="evaluate_zip").set_value(("photos.zip", zip_bytes, "application/zip"))
    at.file_uploader(key="evaluate_pairs").set_value((pairs_name, pairs, "text/csv"))
    return rerun(at)


def test_a_zip_and_a_pairs_file_give_the_report(page, small_upload):
    zip_bytes, pairs, n_pairs = small_upload
    upload(page, zip_bytes, pairs)
    assert not texts(page.error), texts(page.error)
    threshold = get_network(DEFAULT_NETWORK).threshold(DEFAULT_RECIPE, "pair")
    assert seen(page, f"{n_pairs} pairs of 8 photos") and seen(page, f"**{threshold:.2f} (cosine similarity")
    figures = page.container(key="evaluate_figures")
    assert metric(figures, "Failed photos") == "2"
    false_accepts, different = (int(v) for v in metric(figures, "False accepts").split(" of "))
    false_rejects, same = (int(v) for v in metric(figures, "False rejects").split(" of "))
    assert (same, different) == (4 + 1, 4 + 2) and false_accepts >= 1
    assert 0.0 < float(metric(figures, "Accuracy").rstrip("%")) <= 100 * (n_pairs - 2) / n_pairs
    assert 0.5 < float(metric(figures, "AUC")) < 1.0  # the mislabelled pair at distance 0 costs some
    failed = table(page, "evaluate_failed")
    assert sorted(failed["photo"]) == ["val/ghost/1.jpg", "val/nobody/wall.png"]
    assert any("not in the zip" in why for why in failed["why"])
    assert any("counts as a wrong answer" in w for w in texts(page.warning))
    wrong = table(page, "evaluate_wrong")
    assert len(wrong) == false_accepts + false_rejects
    assert wrong.iloc[0].tolist()[:2] == ["false accept", 0.0]  # the photo against itself, closest first
    page.radio(key="distance_unit").set_value("cosine")
    rerun(page)  # the sidebar's "Show distances as": the same answers, the distances as similarities
    assert table(page, "evaluate_wrong")["cosine similarity"].tolist() == pytest.approx(
        [round(float(l2_to_cosine(d)), 3) for d in wrong["distance"]], abs=2e-3)
    assert metric(page.container(key="evaluate_figures"), "False accepts") == f"{false_accepts} of {different}"


def test_a_bad_pairs_file_and_a_bad_zip_are_sentences(page, small_upload):
    zip_bytes, _, _ = small_upload
    upload(page, zip_bytes, b"file_x,file_y,same\na.jpg,b.jpg,maybe\n", "bad.csv")
    assert any("line 2 of 'bad.csv': same is 'maybe'" in e for e in texts(page.error)), texts(page.error)
    upload(page, zip_of({"../evil.jpg": blank_png()}), b"file_x,file_y,same\nevil.jpg,evil.jpg,yes\n")
    assert any("a path that leaves the zip" in e for e in texts(page.error)), texts(page.error)
    assert not page.exception


def test_lfw_pairs_txt_with_a_zipped_lfw_folder(page, gallery_dir):
    files = {}
    for person in ("Madonna", "Elton_John"):
        for number, path in enumerate(sorted((gallery_dir / "train" / person.lower()).glob("*.jpg"))[:2], 1):
            files[f"lfw/{person}/{person}_{number:04d}.jpg"] = path.read_bytes()
    pairs = b"1\t1\nMadonna\t1\t2\nMadonna\t1\tElton_John\t2\n"
    upload(page, zip_of(files), pairs, "pairs.txt")
    assert not texts(page.error), texts(page.error)
    assert seen(page, "2 pairs of 3 photos: 1 of the same person, 1 of different people")
    assert metric(page.container(key="evaluate_figures"), "Failed photos") == "0"
