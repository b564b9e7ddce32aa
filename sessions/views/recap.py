"""The recap of an ended meeting: a page, a Markdown file and a CSV file.

All three come from one `build_recap`, so what the page shows, what the files hold and who may see which
answer (hidden answers, anonymous names) never drift apart.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, TypedDict

from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import dateformat
from django.utils.http import content_disposition_header
from django.utils.text import slugify
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from guides.models import Guide
from sessions import access
from sessions.models import Answer, Club, Meeting, Participant

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _LikeCount(TypedDict):
        like_count: int

    # An answer from Answer.objects.with_like_counts().
    CountedAnswer = WithAnnotations[Answer, _LikeCount]

ANONYMOUS = "Anonymous"
PREPARED = "prepared before the meeting"
NOT_ENDED_MESSAGE = "The recap is ready once the meeting has ended."

# Hosts first, then members, then guests: the order a club reads its own attendance in.
_ROLE_ORDER: dict[str, int] = {
    Participant.Role.HOST: 0,
    Participant.Role.MEMBER: 1,
    Participant.Role.GUEST: 2,
}


# ---------- The data, gathered once ----------


@dataclass(frozen=True)
class RecapAnswer:
    text: str
    name: str  # the participant's display name, or "Anonymous"
    role: str  # "host" / "member" / "guest"; empty when anonymous, since a lone guest's role is a name
    like_count: int
    prepared: bool
    hidden: bool  # only ever True for a host's recap
    posted_at: datetime

    @property
    def likes_label(self) -> str:
        return f"{self.like_count} like{'' if self.like_count == 1 else 's'}"


@dataclass(frozen=True)
class RecapQuestion:
    number: int | None  # "Question N" as it was during the meeting; None for skipped questions
    text: str
    skipped: bool
    answers: list[RecapAnswer]
    answer_count: int  # answers that stood (hidden ones left out), the number the chart shows
    bar_width: int = 0  # 0-100: this question's share of the busiest question, for the chart

    @property
    def hidden_count(self) -> int:
        return len(self.answers) - self.answer_count

    @property
    def count_label(self) -> str:
        if not self.answers:
            return "No answers."
        label = f"{self.answer_count} answer{'' if self.answer_count == 1 else 's'}"
        return f"{label}, {self.hidden_count} hidden" if self.hidden_count else label


@dataclass(frozen=True)
class RecapParticipant:
    name: str
    role: str
    role_label: str
    removed: bool  # only ever True for a host's recap


@dataclass(frozen=True)
class Recap:
    meeting: Meeting
    club: Club
    viewer_is_host: bool
    names_shown: bool
    held_at: datetime  # in the club's time zone
    participants: list[RecapParticipant]
    questions: list[RecapQuestion]  # the questions asked, in meeting order
    skipped: list[RecapQuestion]

    @property
    def guide(self) -> Guide | None:
        return self.meeting.guide

    @property
    def title(self) -> str:
        return self.meeting.title

    @property
    def date_display(self) -> str:
        return f"{dateformat.format(self.held_at, 'l j F Y, H:i')} ({self.club.time_zone.replace('_', ' ')})"

    @property
    def held_on(self) -> date:
        return self.held_at.date()

    def filename(self, extension: str) -> str:
        name = self.guide.slug if self.guide else (slugify(self.title) or "meeting")
        return f"{name}-{self.held_on.isoformat()}-recap.{extension}"


def build_recap(meeting: Meeting, *, viewer_is_host: bool) -> Recap:
    """Everything the recap shows to this viewer, in three queries however large the meeting was.

    Hidden answers and removed participants are left out unless the viewer is a host; names become
    "Anonymous" when the meeting hid them, except for hosts, who always see who said what.
    """
    answers = Answer.objects.with_like_counts().select_related("participant").order_by("created_at", "id")
    if not viewer_is_host:
        answers = answers.shown()
    questions = meeting.questions.prefetch_related(
        Prefetch("answers", queryset=answers, to_attr="recap_answers")
    )
    names_shown = meeting.show_names or viewer_is_host

    asked: list[RecapQuestion] = []
    skipped: list[RecapQuestion] = []
    for question in questions:
        recap_answers = [_recap_answer(answer, names_shown) for answer in question.recap_answers]
        entry = RecapQuestion(
            number=None if question.skipped else len(asked) + 1,
            text=question.text,
            skipped=question.skipped,
            answers=recap_answers,
            answer_count=sum(not answer.hidden for answer in recap_answers),
        )
        (skipped if question.skipped else asked).append(entry)

    busiest = max((question.answer_count for question in asked), default=0)
    if busiest:
        # A question with any answer keeps a visible sliver of bar, however busy the busiest one was.
        asked = [
            replace(
                question,
                bar_width=max(round(100 * question.answer_count / busiest), question.answer_count and 1),
            )
            for question in asked
        ]

    participants = [
        RecapParticipant(
            name=participant.display_name,
            role=participant.role,
            role_label=participant.get_role_display(),
            removed=participant.removed,
        )
        for participant in sorted(meeting.participants.all(), key=lambda p: _ROLE_ORDER.get(p.role, 3))
        if viewer_is_host or not participant.removed
    ]

    held_at = (meeting.started_at or meeting.starts_at).astimezone(meeting.club.tzinfo)
    return Recap(
        meeting=meeting,
        club=meeting.club,
        viewer_is_host=viewer_is_host,
        names_shown=names_shown,
        held_at=held_at,
        participants=participants,
        questions=asked,
        skipped=skipped,
    )


def _recap_answer(answer: CountedAnswer, names_shown: bool) -> RecapAnswer:
    return RecapAnswer(
        text=answer.text,
        name=answer.participant.display_name if names_shown else ANONYMOUS,
        role=answer.participant.role if names_shown else "",
        like_count=answer.like_count,
        prepared=answer.prepared,
        hidden=answer.hidden,
        posted_at=answer.created_at,
    )


# ---------- Who is looking ----------


@dataclass(frozen=True)
class _Viewer:
    meeting: Meeting
    is_host: bool
    is_member: bool


def _viewer(request: HttpRequest, pk: int) -> _Viewer:
    """Club members see the recap of their club's meetings; a guest only that of the meeting they joined."""
    if request.user.is_authenticated:
        try:
            meeting, membership = access.meeting_for_member(request, pk)
        except Http404:
            pass  # maybe a logged-in visitor who joined this one meeting as a guest
        else:
            if (
                not membership.is_host
                and meeting.participants.filter(user=request.user, removed=True).exists()
            ):
                # Taken out of this meeting by a host: its record is not theirs to read, club or not.
                raise Http404("Not in this meeting.")
            return _Viewer(meeting, membership.is_host, is_member=True)
    seat = access.seat_in_meeting(request, pk, create=False)
    if seat.participant.removed:
        # The host took them out of the meeting; the record of it is no longer theirs to read.
        raise Http404("Not in this meeting.")
    return _Viewer(seat.meeting, is_host=False, is_member=False)


def _not_ended_yet(request: HttpRequest, viewer: _Viewer) -> HttpResponse:
    messages.info(request, NOT_ENDED_MESSAGE)
    if viewer.is_member:
        return redirect("sessions:meeting", viewer.meeting.pk)
    return redirect("sessions:live", viewer.meeting.pk)


def _download(content: str, content_type: str, filename: str) -> HttpResponse:
    return HttpResponse(
        content,
        content_type=content_type,
        headers={"Content-Disposition": content_disposition_header(True, filename)},
    )


# ---------- The page ----------


@require_GET
@never_cache
def recap(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request, pk)
    if not viewer.meeting.is_ended:
        return _not_ended_yet(request, viewer)
    data = build_recap(viewer.meeting, viewer_is_host=viewer.is_host)
    return render(
        request,
        "sessions/recap/recap.html",
        {"recap": data, "meeting": viewer.meeting, "club": data.club, "is_member": viewer.is_member},
    )


# ---------- Markdown ----------

# Backslash escapes and entities both read as plain characters in CommonMark and in Python-Markdown, so a
# hostile answer cannot become a link, an image, raw HTML or code when the file is rendered.
_MD_INLINE = str.maketrans(
    {
        "\\": "\\\\",
        "`": "\\`",
        "*": "\\*",
        "_": "\\_",
        "[": "\\[",
        "]": "\\]",
        "#": "\\#",
        # Python-Markdown's attribute lists ("{: onclick=...}") would put attributes on the HTML.
        "{": "\\{",
        "}": "\\}",
        "<": "&lt;",
        ">": "&gt;",
    }
)
# "&lt;" typed by a user must stay those four characters, not turn into "<".
_MD_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
# What only means something at the start of a line: list markers, rules, setext underlines, fences.
_MD_LIST_MARKER = re.compile(r"^(?:[-+]|\d+(?=[.)]))")
# Python-Markdown has no backslash escape for "=" or "~", but a character reference works everywhere.
_MD_SETEXT_OR_FENCE = re.compile(r"^(?:=+\s*$|~~~)")


def markdown_escape(text: str) -> str:
    """One line of user text as Markdown that renders as exactly that text."""
    text = _MD_ENTITY.sub("&amp;", text).translate(_MD_INLINE)
    # Leading spaces would make an indented code block.
    text = text.lstrip()
    if _MD_SETEXT_OR_FENCE.match(text):
        return f"&#{ord(text[0])};{text[1:]}"
    match = _MD_LIST_MARKER.match(text)
    if match:
        end = match.end() if match.group().isdigit() else 0
        text = f"{text[:end]}\\{text[end:]}"
    return text


def _markdown_one_line(text: str) -> str:
    return markdown_escape(" ".join(text.split()))


def _markdown_block(text: str, indent: str) -> str:
    """Multi-line user text inside a list item: lines kept as hard breaks, blank lines as paragraphs."""
    paragraphs: list[list[str]] = [[]]
    for line in text.splitlines():
        if line.strip():
            paragraphs[-1].append(markdown_escape(line.rstrip()))
        elif paragraphs[-1]:
            paragraphs.append([])
    paragraphs = [paragraph for paragraph in paragraphs if paragraph]
    # Two trailing spaces are the hard line break both CommonMark and Python-Markdown understand.
    blocks = ["  \n".join(f"{indent}{line}" for line in paragraph) for paragraph in paragraphs]
    return "\n\n".join(blocks).removeprefix(indent)


def _markdown_answer(answer: RecapAnswer) -> str:
    notes = []
    if answer.hidden:
        notes.append("Hidden")
    if answer.like_count:
        notes.append(answer.likes_label)
    if answer.prepared:
        notes.append(PREPARED)
    head = f"- **{_markdown_one_line(answer.name)}**"
    if notes:
        head += f" ({', '.join(notes)})"
    # Four spaces keep continuation lines inside the list item for Python-Markdown as well as CommonMark.
    return f"{head}: {_markdown_block(answer.text, '    ')}"


def _markdown_question(question: RecapQuestion) -> list[str]:
    label = f"{question.number}\\." if question.number is not None else "Skipped:"
    lines = [f"### {label} {_markdown_one_line(question.text)}", ""]
    lines += [question.count_label, ""]
    # A blank line between answers ends each one, however many paragraphs it had, in every renderer.
    for answer in question.answers:
        lines += [_markdown_answer(answer), ""]
    return lines


def render_markdown(data: Recap) -> str:
    guide = data.guide
    lines = [f"# Recap: {_markdown_one_line(data.title)}", ""]
    if guide is not None:
        lines += [f"by {_markdown_one_line(guide.author)}", ""]
    lines += [
        f"- Club: {_markdown_one_line(data.club.name)}",
        f"- Date: {markdown_escape(data.date_display)}",
        "",
        "## Participants",
        "",
    ]
    for participant in data.participants:
        note = participant.role_label.lower() + (", removed" if participant.removed else "")
        lines.append(f"- {_markdown_one_line(participant.name)} ({note})")
    if not data.participants:
        lines.append("Nobody joined this meeting.")
    lines += ["", "## Questions", ""]
    if data.viewer_is_host and not data.meeting.show_names:
        lines += ["Names were hidden during this meeting; only hosts see them here.", ""]
    for question in data.questions:
        lines.extend(_markdown_question(question))
    if data.skipped:
        lines += ["## Skipped questions", ""]
        for question in data.skipped:
            lines.extend(_markdown_question(question))
    return "\n".join(lines).rstrip() + "\n"


@require_GET
@never_cache
def recap_markdown(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request, pk)
    if not viewer.meeting.is_ended:
        return _not_ended_yet(request, viewer)
    data = build_recap(viewer.meeting, viewer_is_host=viewer.is_host)
    return _download(render_markdown(data), "text/markdown; charset=utf-8", data.filename("md"))


# ---------- CSV ----------

# A spreadsheet runs a cell that starts with one of these as a formula; an apostrophe makes it text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def render_csv(data: Recap) -> str:
    buffer = io.StringIO()
    # A byte order mark tells Excel the file is UTF-8, so accented names arrive intact.
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    header = [
        "question_number",
        "question",
        "participant",
        "role",
        "answer",
        "likes",
        "posted_at",
        "prepared",
    ]
    if data.viewer_is_host:
        header.append("hidden")
    writer.writerow(header)
    for question in [*data.questions, *data.skipped]:
        for answer in question.answers:
            row = [
                "" if question.number is None else question.number,
                question.text,
                answer.name,
                answer.role,
                answer.text,
                answer.like_count,
                answer.posted_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
                "yes" if answer.prepared else "no",
            ]
            if data.viewer_is_host:
                row.append("yes" if answer.hidden else "no")
            writer.writerow([csv_cell(cell) for cell in row])
    return buffer.getvalue()


@require_GET
@never_cache
def recap_csv(request: HttpRequest, pk: int) -> HttpResponse:
    viewer = _viewer(request, pk)
    if not viewer.meeting.is_ended:
        return _not_ended_yet(request, viewer)
    data = build_recap(viewer.meeting, viewer_is_host=viewer.is_host)
    return _download(render_csv(data), "text/csv; charset=utf-8", data.filename("csv"))
