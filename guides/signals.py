"""Signal receivers that keep the cached guide pages honest (see guides/cache.py): every save or delete
of a guide's items or themes, wherever it comes from (the admin, an import, a reversion revert), moves
the guide's `updated_at`, and with it the stamp its cached content is checked against."""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from guides.cache import touch
from guides.models import SECTION_MODELS, Guide, GuideItem, Theme


@receiver(post_save, sender=Guide)
def guide_saved(sender, instance: Guide, raw: bool, **kwargs) -> None:
    # An ordinary save sets updated_at itself. A raw save (a reversion revert, loaddata) writes back an
    # old updated_at, which an entry rendered back then might still be stamped with.
    if raw:
        touch([instance.pk])


def item_changed(sender, instance: GuideItem, **kwargs) -> None:
    if isinstance(kwargs.get("origin"), Guide):
        return  # deleted with its guide: nothing left to show
    touch([instance.guide_id])  # type: ignore[attr-defined]


for _model in SECTION_MODELS.values():
    post_save.connect(item_changed, sender=_model, dispatch_uid=f"guides.cache.{_model.__name__}.saved")
    post_delete.connect(item_changed, sender=_model, dispatch_uid=f"guides.cache.{_model.__name__}.deleted")


@receiver(m2m_changed, sender=Guide.themes.through)
def themes_changed(sender, instance, action: str, reverse: bool, pk_set: set[int] | None, **kwargs) -> None:
    if not reverse:  # guide.themes.add(...), .remove(...), .set(...), .clear()
        if action in ("post_add", "post_remove", "post_clear"):
            touch([instance.pk])
    elif action in ("post_add", "post_remove"):  # theme.guides.add(guide, ...)
        touch(pk_set or ())
    elif action == "pre_clear":  # theme.guides.clear(): afterwards nothing says which guides it had
        touch(Guide.objects.filter(themes=instance))


@receiver(post_save, sender=Theme)
def theme_saved(sender, instance: Theme, created: bool, **kwargs) -> None:
    if not created:  # a new theme is on no guide yet; a renamed one shows its new name on each
        touch(Guide.objects.filter(themes=instance))


@receiver(pre_delete, sender=Theme)
def theme_deleted(sender, instance: Theme, **kwargs) -> None:
    # Before the delete, while the guides that show the theme can still be found; the delete runs in
    # the same transaction.
    touch(Guide.objects.filter(themes=instance))
