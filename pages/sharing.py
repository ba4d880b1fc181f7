"""Participant: who in my family sees what, until when — invite, share, stop sharing, see who looked."""

from datetime import timedelta

import streamlit as st

from core.models import Role
from ui import auth
from ui.i18n import _, current, full_date

actor = auth.guard(Role.PARTICIPANT)

from core import sharing
from core.access import Category
from core.db import session_scope
from core.enrolment import Use
from core.errors import ValidationError
from core.program import program_of, user_today, user_zone
from ui import nav
from ui.forms import FieldErrors, with_limits
from ui.text import md
from ui.timefmt import local_time

st.title(_("Family sharing"))
st.caption(
    _(
        "Nothing is shared unless you choose it here. Your notes, your answers to single questions and "
        "urges to hurt yourself are never shared. You can stop sharing at any time."
    )
)
with session_scope() as session:
    family = sharing.family_of(session, actor, actor.id)
    log = sharing.family_access_log(session, actor, actor.id)
    today = user_today(session, actor.id)
    zone = user_zone(session, actor.id)
    program = program_of(session, actor)
program_name = program.name if program else ""
# After discharge nothing new is shared, but who sees what, and stopping it, stays theirs.
starting = nav.remaining(actor).may(Use.WRITE)
if not starting:
    st.info(
        _(
            "Your program has ended, so nothing new can be shared from here. You can still see who sees "
            "what, and stop it at any time."
        )
    )
else:
    with st.expander(_("Invite a family member"), expanded=not family):
        errors = FieldErrors()
        with st.form("invite", clear_on_submit=False):
            name = st.text_input(_("Their name"))
            errors.slot("name")
            relationship = st.text_input(_("How they're related to you"), placeholder=_("Parent, partner, friend…"))
            errors.slot("relationship")
            email = st.text_input(_("Their email (optional)"))
            errors.slot("email")
            invited = st.form_submit_button(_("Create an invitation code"), width="stretch")
        if invited:
            try:
                with session_scope() as session:
                    code, expires = sharing.create_invitation(
                        session, actor, name=name, relationship=relationship, email=email
                    )
                st.success(
                    _(
                        "Give {strip} this code: **{code}** — it works once, until {expires}. They choose"
                        " “I have an invitation code” on the login screen. They'll see nothing until you "
                        "choose what to share below."
                    ).format(strip=md(name.strip()), code=code, expires=local_time(expires, zone))
                )
            except ValidationError as exc:
                errors.show(exc.fields)

with session_scope() as session:
    pending = sharing.pending_invitations(session, actor, actor.id)
if pending:
    st.subheader(_("Codes not used yet"))
    for invitation in pending:
        left, right = st.columns([3, 1], vertical_alignment="center")
        who = md(invitation.name) + (f" · {md(invitation.relationship)}" if invitation.relationship else "")
        left.markdown(
            _("{who}  \n:gray[works until {expires_at}]").format(
                who=who, expires_at=local_time(invitation.expires_at, zone)
            )
        )
        if right.button(_("Withdraw"), key=f"withdraw_{invitation.id}", width="stretch"):
            try:
                with session_scope() as session:
                    sharing.withdraw_invitation(session, actor, invitation_id=invitation.id)
                st.session_state["sharing_notice"] = _("The code for {name} no longer works.").format(
                    name=invitation.name
                )
            except ValidationError as exc:
                st.session_state["sharing_notice"] = " ".join(exc.fields.values())
            st.rerun()
if notice := st.session_state.pop("sharing_notice", None):
    st.info(md(notice))

for member in family:
    first = member.name.split()[0] if member.name.split() else member.name
    st.subheader(md(member.name) + (f" · {md(member.relationship)}" if member.relationship else ""))
    for category in sharing.OFFERED:
        until = member.active.get(category)
        key = f"{member.id}_{category.value}"
        label = _(sharing.CATEGORY_LABELS[category])
        if until:
            left, right = st.columns([3, 1], vertical_alignment="center")
            left.markdown(_(":material/check_circle: {label} — until {day}").format(label=label, day=full_date(until)))
            if right.button(_("Stop"), key=f"stop_{key}", width="stretch"):
                with session_scope() as session:
                    sharing.revoke(session, actor, family_id=member.id, category=category)
                st.rerun()
            continue
        if not starting:
            continue
        with st.expander(_("Share: {label}").format(label=label)):
            # Not a form: the consent below is redrawn as the date and purpose change, so what is
            # read is exactly what is agreed to (its wording's version is stored with the consent).
            form_errors = FieldErrors()
            until_day = st.date_input(
                _("Until"),
                value=today + timedelta(days=sharing.DEFAULT_CONSENT_DAYS),
                min_value=today + timedelta(days=1),
                max_value=today + timedelta(days=365),
                key=f"until_{key}",
            )
            form_errors.slot("until")
            purpose = signature = ""
            if category is Category.SUBSTANCE_USE:
                # No max_chars (here or below): a browser given more than max_chars (a paste) keeps nothing.
                purpose = st.text_input(
                    _("Why you're sharing it"), key=f"purpose_{key}", placeholder=_("So they can support my recovery")
                )
                form_errors.slot("purpose")
            if current() != "en":
                st.caption(
                    _(
                        "The consent below is in English: it is the exact wording your program keeps with "
                        "your choice. Your therapist can go through it with you."
                    )
                )
            st.caption(
                md(
                    sharing.consent_text(
                        category,
                        participant=actor.name,
                        program=program_name,
                        family=member.name,
                        until=until_day,
                        purpose=purpose,
                    )
                )
            )
            if category is Category.SUBSTANCE_USE:
                signature = st.text_input(_("Sign by typing your full name"), key=f"signature_{key}")
                form_errors.slot("signature")
            form_errors.slot("consent")
            if st.button(
                _("Share with {first}").format(first=md(first)), key=f"share_{key}", type="primary", width="stretch"
            ):
                try:
                    with session_scope() as session:
                        sharing.grant(
                            session,
                            actor,
                            family_id=member.id,
                            category=category,
                            until=until_day,
                            purpose=purpose,
                            signature=signature,
                            shown_version=sharing.consent_version(category),
                        )
                    st.rerun()
                except ValidationError as exc:  # (the signature message quotes their name)
                    form_errors.show(
                        with_limits(
                            {field: md(message) for field, message in exc.fields.items()},
                            {
                                "purpose": (purpose, sharing.PURPOSE_MAX),
                                "signature": (signature, sharing.SIGNATURE_MAX),
                            },
                        )
                    )

st.subheader(_("Who looked, and when"))
if not log:
    st.caption(_("No family member has looked at anything yet."))
else:
    st.dataframe(
        [
            {
                _("When"): local_time(v.at, zone),
                _("Who"): v.who,
                _("What"): _(v.what),
                "": "" if v.allowed else _("not shared: refused"),
            }
            for v in log
        ],
        hide_index=True,
        width="stretch",
    )
