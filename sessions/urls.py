from django.urls import path

from sessions.views import answers, clubs, join, meetings, presenter, recap, stream

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
    path("meetings/<int:pk>/start/", presenter.meeting_start, name="start"),
    path("meetings/<int:pk>/present/", presenter.present, name="present"),
    path("meetings/<int:pk>/screen/", presenter.screen, name="screen"),
    path("meetings/<int:pk>/control/", presenter.control, name="control"),
    path("meetings/<int:pk>/answers/<int:answer_id>/hide/", presenter.answer_hide, name="answer_hide"),
    path(
        "meetings/<int:pk>/participants/<int:participant_id>/remove/",
        presenter.participant_remove,
        name="participant_remove",
    ),
    path(
        "meetings/<int:pk>/participants/<int:participant_id>/readmit/",
        presenter.participant_readmit,
        name="participant_readmit",
    ),
    # Joining and answering
    path("join/", join.join, name="join"),
    path("join/<str:code>", join.join_code, name="join_code"),
    path("meetings/<int:pk>/live/", answers.member_view, name="live"),
    path("meetings/<int:pk>/events/", stream.meeting_events, name="events"),
    path("meetings/<int:pk>/answers/", answers.answer_post, name="answer_post"),
    path("meetings/<int:pk>/answers/<int:answer_id>/edit/", answers.answer_edit, name="answer_edit"),
    path("meetings/<int:pk>/answers/<int:answer_id>/delete/", answers.answer_delete, name="answer_delete"),
    path("meetings/<int:pk>/answers/<int:answer_id>/like/", answers.answer_like, name="answer_like"),
    # Afterwards
    path("meetings/<int:pk>/recap/", recap.recap, name="recap"),
    path("meetings/<int:pk>/recap.md", recap.recap_markdown, name="recap_markdown"),
    path("meetings/<int:pk>/recap.csv", recap.recap_csv, name="recap_csv"),
]
