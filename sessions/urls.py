from django.urls import path

import bookclub.converters  # noqa: F401 -- registers <id:...>
from sessions.views import (
    answers,
    calendar,
    clubs,
    join,
    meetings,
    notifications,
    planning,
    presenter,
    recap,
    stream,
)

app_name = "sessions"
urlpatterns = [
    # Clubs
    path("clubs/new/", clubs.club_create, name="club_create"),
    path("clubs/<slug:slug>/", clubs.club_detail, name="club"),
    path("clubs/<slug:slug>/invite/reset/", clubs.invite_reset, name="invite_reset"),
    path("clubs/<slug:slug>/members/<id:membership_id>/role/", clubs.member_role, name="member_role"),
    path("clubs/<slug:slug>/members/<id:membership_id>/remove/", clubs.member_remove, name="member_remove"),
    path("clubs/<slug:slug>/leave/", clubs.club_leave, name="club_leave"),
    path("invite/<str:token>/", clubs.invite_accept, name="invite"),
    # Scheduling and preparing meetings
    path("clubs/<slug:slug>/meetings/new/", meetings.meeting_create, name="meeting_create"),
    path("meetings/<id:pk>/", meetings.meeting_detail, name="meeting"),
    path("meetings/<id:pk>/edit/", meetings.meeting_edit, name="meeting_edit"),
    path("meetings/<id:pk>/rsvp/", meetings.rsvp, name="rsvp"),
    path("meetings/<id:pk>/calendar.ics", meetings.meeting_ics, name="meeting_ics"),
    path("meetings/<id:pk>/questions/add/", meetings.question_add, name="question_add"),
    path("meetings/<id:pk>/questions/<id:question_id>/edit/", meetings.question_edit, name="question_edit"),
    path("meetings/<id:pk>/questions/<id:question_id>/move/", meetings.question_move, name="question_move"),
    path("meetings/<id:pk>/questions/<id:question_id>/skip/", meetings.question_skip, name="question_skip"),
    # Hosting
    path("meetings/<id:pk>/start/", presenter.meeting_start, name="start"),
    path("meetings/<id:pk>/present/", presenter.present, name="present"),
    path("meetings/<id:pk>/screen/", presenter.screen, name="screen"),
    path("meetings/<id:pk>/control/", presenter.control, name="control"),
    path("meetings/<id:pk>/answers/<id:answer_id>/hide/", presenter.answer_hide, name="answer_hide"),
    path(
        "meetings/<id:pk>/participants/<id:participant_id>/remove/",
        presenter.participant_remove,
        name="participant_remove",
    ),
    path(
        "meetings/<id:pk>/participants/<id:participant_id>/readmit/",
        presenter.participant_readmit,
        name="participant_readmit",
    ),
    # Joining and answering
    path("join/", join.join, name="join"),
    path("join/<str:code>", join.join_code, name="join_code"),
    path("meetings/<id:pk>/live/", answers.member_view, name="live"),
    path("meetings/<id:pk>/events/", stream.meeting_events, name="events"),
    path("meetings/<id:pk>/answers/", answers.answer_post, name="answer_post"),
    path("meetings/<id:pk>/answers/<id:answer_id>/edit/", answers.answer_edit, name="answer_edit"),
    path("meetings/<id:pk>/answers/<id:answer_id>/delete/", answers.answer_delete, name="answer_delete"),
    path("meetings/<id:pk>/answers/<id:answer_id>/like/", answers.answer_like, name="answer_like"),
    # Afterwards
    path("meetings/<id:pk>/recap/", recap.recap, name="recap"),
    path("meetings/<id:pk>/recap.md", recap.recap_markdown, name="recap_markdown"),
    path("meetings/<id:pk>/recap.csv", recap.recap_csv, name="recap_csv"),
    # Between meetings (issue 12)
    path("clubs/<slug:slug>/votes/new/", planning.vote_create, name="vote_create"),
    path("votes/<id:pk>/", planning.vote_detail, name="vote"),
    path("votes/<id:pk>/nominate/", planning.nominate, name="nominate"),
    path(
        "votes/<id:pk>/nominations/<id:nomination_id>/withdraw/",
        planning.nomination_withdraw,
        name="nomination_withdraw",
    ),
    path("votes/<id:pk>/start/", planning.vote_start, name="vote_start"),
    path("votes/<id:pk>/close/", planning.vote_close, name="vote_close"),
    path("votes/<id:pk>/ballot/", planning.ballot, name="ballot"),
    path("clubs/<slug:slug>/date-polls/new/", planning.poll_create, name="date_poll_create"),
    path("date-polls/<id:pk>/", planning.poll_detail, name="date_poll"),
    path("date-polls/<id:pk>/answer/", planning.poll_answer, name="date_poll_answer"),
    path("date-polls/<id:pk>/close/", planning.poll_close, name="date_poll_close"),
    path("meetings/<id:pk>/reading-plan/", planning.reading_plan, name="reading_plan"),
    path("meetings/<id:pk>/reading-progress/", planning.reading_progress, name="reading_progress"),
    path("meetings/<id:pk>/cancel/", planning.meeting_cancel, name="meeting_cancel"),
    path("calendar/", calendar.calendar_page, name="calendar"),
    path("calendar/reset/", calendar.calendar_reset, name="calendar_reset"),
    path("calendar/<str:token>.ics", calendar.calendar_feed, name="calendar_feed"),
    path("account/emails/", notifications.email_preferences, name="email_preferences"),
    path("unsubscribe/<str:token>/", notifications.unsubscribe, name="unsubscribe"),
]
