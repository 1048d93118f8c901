"""The app's pages, listed once: the router, the start page's links and the tests all read :data:`PAGES`.

Adding a page is one script in ``app_pages/`` and one line here. Keep ``url_path`` and ``title``
of an existing page as they are: they are the page's bookmark and its name in the navigation.

Page scripts live in ``app_pages/``, not ``pages/``: a folder named ``pages/`` makes Streamlit fall
back to its old multipage mode on a fresh server, and bookmarks would then run a page without the
router of ``streamlit_app.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class PageSpec:
    """One lesson of the app.

    Attributes
    ----------
    path : str
        The page script, relative to the project root (``"app_pages/verify.py"``).
    title : str
        Its name in the navigation and on the start page's link.
    icon : str
        The emoji beside the title in the navigation.
    url_path : str
        The address after the host (``"verify"`` → ``/verify``); ``""`` for the start page, served at ``/``.
    blurb : str
        One sentence for the start page's link: what the lesson shows.
    heading : str
        The title the page shows at its top: each page calls ``st.title(pages.heading(__file__))``.
    """

    path: str
    title: str
    icon: str
    url_path: str
    blurb: str
    heading: str

    @property
    def is_start(self) -> bool:
        """The start page: the default page of the navigation, at ``/``."""
        return self.url_path == ""


PAGES: tuple[PageSpec, ...] = (
    PageSpec("app_pages/home.py", "Start here", "🏠", "",
             "What facedemo is, and one link per lesson.", "facedemo — FaceNet you can touch"),
    PageSpec("app_pages/verify.py", "Verify (1:1)", "🚪", "verify",
             "Is this the claimed person? Two photos, one distance, a door that opens or not.",
             "🚪 Verify (1:1): let them in?"),
    PageSpec("app_pages/recognise.py", "Recognise (1:K)", "🔎", "recognise",
             "Who is this? The nearest enrolled person, or \"Not in the database.\".", "🔎 Recognise (1:K): who is it?"),
    PageSpec("app_pages/people.py", "People (the database)", "👥", "people",
             "The office's employees: enrol someone with one photo or several.", "👥 People: the face database"),
    PageSpec("app_pages/class_room.py", "Class", "🧑‍🏫", "class",
             "The class as the data set: students join with a code, enrol a selfie; who looks alike?",
             "🧑‍🏫 Class: the room's own faces"),
    PageSpec("app_pages/matrix.py", "Distance matrix", "🟥", "matrix",
             "Every pair of chosen photos at once, coloured by the threshold.", "Distance matrix"),
    PageSpec("app_pages/threshold.py", "Threshold explorer", "🎚️", "threshold",
             "Slide the threshold: TAR, FAR, the ROC curve, and why cropping matters.", "Threshold explorer"),
    PageSpec("app_pages/evaluate.py", "Evaluate on a pairs file", "📋", "evaluate",
             "Your own photos and a pairs file: accuracy, false accepts and rejects, AUC, EER and VAL at the default "
             "threshold.", "📋 Evaluate on a pairs file"),
    PageSpec("app_pages/breaks.py", "What breaks it?", "🌫️", "breaks",
             "Blur, darkness, low resolution, sunglasses, a mask: watch the distance and the door.", "🌫️ What breaks it?"),
    PageSpec("app_pages/triplet.py", "Triplet-loss playground", "🔺", "triplet",
             "How FaceNet was trained: anchor, positive, negative and the margin.", "Triplet-loss playground"),
    PageSpec("app_pages/why.py", "Why learn an encoding", "🤔", "why",
             "Comparing pixels fails; learned encodings work.", "Why learn an encoding"),
    PageSpec("app_pages/embedding_map.py", "Embedding map", "🗺️", "map",
             "The encodings squeezed onto a 2-D map.", "Embedding map"),
    PageSpec("app_pages/inside.py", "Inside the model", "🔬", "inside",
             "The notebook's 2019 network and the one used here, block by block; what the layers see in a face.",
             "🔬 Inside the model"),
)


def page_of(script: str) -> PageSpec:
    """The entry of the page script ``script`` (a page passes its ``__file__``)."""
    wanted = Path(script).resolve()
    for page in PAGES:
        if (ROOT / page.path).resolve() == wanted:
            return page
    raise KeyError(f"{script} is not a page of ui/pages.py")


def heading(script: str) -> str:
    """The title page ``script`` shows at its top: ``st.title(pages.heading(__file__))``."""
    return page_of(script).heading


def lessons() -> list[PageSpec]:
    """Every page but the start page, in the navigation's order (the start page links to these)."""
    return [page for page in PAGES if not page.is_start]


def navigation() -> list[st.Page]:
    """:data:`PAGES` as ``st.Page`` objects for ``st.navigation``, the start page as the default."""
    return [
        st.Page(page.path, title=page.title, icon=page.icon, url_path=page.url_path or None, default=page.is_start)
        for page in PAGES
    ]
