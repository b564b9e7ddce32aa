from django.urls import path

from sessions.views import calendar, clubs, live, meetings, notifications, planning, recap, stream

app_name = "sessions"
urlpatterns = [
    # Clubs
    path("clubs/new/", clubs.club_create, name="club_create"),
    path("clubs/<slug:slug>/", clubs.club_detail, name="club"),
    path("clubs/<slug:slug>/invite/reset/", clubs.invite_reset, name="invite_reset"),
    path("clubs/<slug:slug>/members/<int:membership_id>/role/", clubs.member_role, name="member_role"),
    path("clubs/<slug:slug>/members/<int:membership_id>/remove/", clubs.member_remove, name="member_remove"),
    path("clubs/<slug:slug>/leave/", clubs.club_leave, name="club_leave"),
    path("invite/<str:token>/", clubs.invite_accept, name="invite"),
    # Scheduling and preparing meetings
    path("clubs/<slug:slug>/meetings/new/", meetings.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", meetings.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/edit/", meetings.meeting_edit, name="meeting_edit"),
    path("meetings/<int:pk>/rsvp/", meetings.rsvp, name="rsvp"),
    path("meetings/<int:pk>/calendar.ics", meetings.meeting_ics, name="meeting_ics"),
    path("meetings/<int:pk>/questions/add/", meetings.question_add, name="question_add"),
    path("meetings/<int:pk>/questions/<int:question_id>/edit/", meetings.question_edit, name="question_edit"),
    path("meetings/<int:pk>/questions/<int:question_id>/move/", meetings.question_move, name="question_move"),
    path("meetings/<int:pk>/questions/<int:question_id>/skip/", meetings.question_skip, name="question_skip"),
    # Hosting
    path("meetings/<int:pk>/start/", live.meeting_start, name="start"),
    path("meetings/<int:pk>/present/", live.present, name="present"),
    path("meetings/<int:pk>/control/", live.control, name="control"),
    path("meetings/<int:pk>/answers/<int:answer_id>/hide/", live.answer_hide, name="answer_hide"),
    path(
        "meetings/<int:pk>/participants/<int:participant_id>/remove/",
        live.participant_remove,
        name="participant_remove",
    ),
    # Joining and answering
    path("join/", live.join, name="join"),
    path("join/<str:code>", live.join_code, name="join_code"),
    path("meetings/<int:pk>/live/", live.member_view, name="live"),
    path("meetings/<int:pk>/events/", stream.meeting_events, name="events"),
    path("meetings/<int:pk>/answers/", live.answer_post, name="answer_post"),
    path("meetings/<int:pk>/answers/<int:answer_id>/edit/", live.answer_edit, name="answer_edit"),
    path("meetings/<int:pk>/answers/<int:answer_id>/delete/", live.answer_delete, name="answer_delete"),
    path("meetings/<int:pk>/answers/<int:answer_id>/like/", live.answer_like, name="answer_like"),
    # Afterwards
    path("meetings/<int:pk>/recap/", recap.recap, name="recap"),
    path("meetings/<int:pk>/recap.md", recap.recap_markdown, name="recap_markdown"),
    path("meetings/<int:pk>/recap.csv", recap.recap_csv, name="recap_csv"),
    # Between meetings (issue 12)
    path("clubs/<slug:slug>/votes/new/", planning.vote_create, name="vote_create"),
    path("votes/<int:pk>/", planning.vote_detail, name="vote"),
    path("votes/<int:pk>/nominate/", planning.nominate, name="nominate"),
    path(
        "votes/<int:pk>/nominations/<int:nomination_id>/withdraw/",
        planning.nomination_withdraw,
        name="nomination_withdraw",
    ),
    path("votes/<int:pk>/start/", planning.vote_start, name="vote_start"),
    path("votes/<int:pk>/close/", planning.vote_close, name="vote_close"),
    path("votes/<int:pk>/ballot/", planning.ballot, name="ballot"),
    path("clubs/<slug:slug>/date-polls/new/", planning.poll_create, name="date_poll_create"),
    path("date-polls/<int:pk>/", planning.poll_detail, name="date_poll"),
    path("date-polls/<int:pk>/answer/", planning.poll_answer, name="date_poll_answer"),
    path("date-polls/<int:pk>/close/", planning.poll_close, name="date_poll_close"),
    path("meetings/<int:pk>/reading-plan/", planning.reading_plan, name="reading_plan"),
    path("meetings/<int:pk>/reading-progress/", planning.reading_progress, name="reading_progress"),
    path("meetings/<int:pk>/cancel/", planning.meeting_cancel, name="meeting_cancel"),
    path("calendar/", calendar.calendar_page, name="calendar"),
    path("calendar/reset/", calendar.calendar_reset, name="calendar_reset"),
    path("calendar/<str:token>.ics", calendar.calendar_feed, name="calendar_feed"),
    path("account/emails/", notifications.email_preferences, name="email_preferences"),
    path("unsubscribe/<str:token>/", notifications.unsubscribe, name="unsubscribe"),
]
