"""#16: nothing a person types may vanish. A text box with `max_chars` empties itself when a paste
is longer than the limit; these boxes have none, keep what was pasted, and say how much to cut."""

from core import accounts, sharing
from tests.app.conftest import log_in, open_page


def _box(app, key_start: str):
    return next(t for t in app.text_input if (t.key or "").startswith(key_start))


def test_a_long_sharing_purpose_and_signature_are_kept_and_say_how_much_to_cut(app):
    log_in(app, "dana")
    open_page(app, "pages/sharing.py")
    purpose = "So they can support my recovery. " * 10  # 330 characters, one paste
    signature = "Dana Okafor " * 12  # 144 characters
    _box(app, "purpose_").set_value(purpose)
    _box(app, "signature_").set_value(signature)
    key = _box(app, "purpose_").key.removeprefix("purpose_")
    next(b for b in app.button if b.key == f"share_{key}").click().run()
    shown = " ".join(e.value for e in app.error)
    assert f"Please cut {len(purpose) - sharing.PURPOSE_MAX} characters" in shown
    assert f"Please cut {len(signature) - sharing.SIGNATURE_MAX} characters" in shown
    assert _box(app, "purpose_").value == purpose and _box(app, "signature_").value == signature
    assert not any(t.max_chars for t in app.text_input if (t.key or "").startswith(("purpose_", "signature_")))


def test_a_long_name_on_a_new_account_is_kept_and_says_how_much_to_cut(app):
    log_in(app, "admin")
    open_page(app, "pages/admin_accounts.py")
    name = "Alexandra " * 10  # 100 characters
    box = next(t for t in app.text_input if t.label == "Full name")
    assert not box.max_chars  # 0: no limit in the widget
    box.set_value(name)
    next(b for b in app.button if b.label == "Create account").click().run()
    assert f"Please cut {len(name) - accounts.NAME_MAX} characters" in " ".join(e.value for e in app.error)
    assert next(t for t in app.text_input if t.label == "Full name").value == name
