import secrets

from django.db import migrations, models

import sessions.models

ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def lengthen_existing_codes(apps, schema_editor):
    """Short codes are the ones worth guessing: every meeting gets a new, long one. The presenter and
    the meeting page always show the current code, so nothing but an old copied link stops working."""
    Meeting = apps.get_model("club_sessions", "Meeting")
    for meeting in Meeting.objects.filter(join_code__regex=r"^.{1,9}$").only("pk"):
        while True:
            code = "".join(secrets.choice(ALPHABET) for _ in range(10))
            if not Meeting.objects.filter(join_code=code).exists():
                break
        Meeting.objects.filter(pk=meeting.pk).update(join_code=code)


class Migration(migrations.Migration):
    dependencies = [
        ("club_sessions", "0003_meeting_optional_guide"),
    ]

    operations = [
        migrations.AlterField(
            model_name="meeting",
            name="join_code",
            field=models.CharField(default=sessions.models.new_join_code, max_length=10, unique=True),
        ),
        migrations.RunPython(lengthen_existing_codes, migrations.RunPython.noop),
    ]
