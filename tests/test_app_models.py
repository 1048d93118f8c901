"""Choosing the model in the app's sidebar: every page follows it, nothing enrolled is lost."""

from __future__ import annotations

from facedemo.encoding.networks import default_threshold
from tests.test_app_pages import SAME, enrol_from_gallery, metric, open_verify, page, seen, table, texts


def test_the_sidebar_chooses_the_model_and_its_threshold(gallery_dir):
    app = open_verify()
    assert app.radio(key="network").value == "facenet"
    app.radio(key="network").set_value("casia").run()
    assert (app.query_params["model"], app.slider(key="threshold").value) == (
        "casia", default_threshold("aligned", "pair", "casia"))
    app.selectbox(key="a").set_value("val/madonna/1")
    app.selectbox(key="b").set_value("train/madonna/1").run()
    assert not app.exception, [e.value for e in app.exception]
    assert any(SAME in v for v in texts(app.success))
    assert seen(app, "512 numbers")
    assert seen(app, f"this recipe and model: {default_threshold('aligned', 'pair', 'casia'):.2f}")


def test_a_bookmark_restores_the_model(gallery_dir):
    app = open_verify(model="casia", a="val/elton_john/1", claim="elton_john")
    assert (app.radio(key="network").value, app.query_params["model"]) == ("casia", "casia")
    assert any("It's elton_john, welcome in!" in v for v in texts(app.success))
    assert seen(app, f"**{default_threshold('aligned', 'mean', 'casia'):.2f}**")


def test_switching_models_puts_the_database_aside_and_back(gallery_dir):
    app = open_verify()
    page(app, "app_pages/people.py")
    enrol_from_gallery(app, "Guest", ["val/madonna/2"])
    assert "Guest" in list(table(app, "people_table")["name"])

    app.radio(key="network").set_value("casia").run()
    assert not app.exception, [e.value for e in app.exception]
    assert (metric(app, "Model"), app.radio(key="network").value) == ("casia", "casia")
    assert "Guest" not in list(table(app, "people_table")["name"]), "the other model's database is set aside"
    page(app, "app_pages/recognise.py")
    app.selectbox(key="q").set_value("val/ben_afflek/1").run()
    assert any("It's ben_afflek, the distance is" in v for v in texts(app.success))

    page(app, "app_pages/people.py")
    app.radio(key="network").set_value("facenet").run()
    assert "Guest" in list(table(app, "people_table")["name"]), "switching back brings the enrolment back"
    assert metric(app, "Model") == "facenet"


def test_a_database_file_of_the_other_model_switches_to_it(gallery_dir):
    from facedemo.people.database import FaceDatabase

    casia_app = open_verify(model="casia")
    page(casia_app, "app_pages/people.py")
    saved = casia_app.session_state["database"].to_bytes()
    assert (FaceDatabase.from_bytes(saved).network, FaceDatabase.from_bytes(saved).embedding_size) == ("casia", 512)

    app = open_verify()
    page(app, "app_pages/people.py")
    app.file_uploader(key="people_load").upload("casia.npz", saved, "application/octet-stream").run()
    app.button(key="people_load_button").click().run()
    assert not app.exception, [e.value for e in app.exception]
    assert seen(app, "FaceNet CASIA-WebFace")
    assert (app.radio(key="network").value, metric(app, "Model")) == ("casia", "casia")


def test_the_threshold_explorer_shows_both_models_side_by_side(gallery_dir):
    from tests.test_app_analysis import open_page

    app = open_page("app_pages/threshold.py")
    models = table(app, "models_table")
    assert list(models["encoding"]) == ["128-d", "512-d"]
    assert (models["AUC"] > 0.995).all() and (models["rank-1"] == 1.0).all()
    assert list(models["calibrated threshold"]) == [default_threshold("aligned", "pair", n) for n in ("facenet", "casia")]
    app.radio(key="network").set_value("casia").run()
    assert not app.exception, [e.value for e in app.exception]
    assert seen(app, "model: FaceNet CASIA-WebFace (TensorFlow, 512-d)")
