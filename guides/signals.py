"""Signal receivers that keep the cached guide pages honest (templates/guides/guide_detail.html caches a
published guide's content by its `updated_at`): every save or delete of a guide's items or themes,
wherever it comes from (the admin, an import, a reversion revert), moves the guide's `updated_at`.

Writes that send no signals (`bulk_update`, `.update()`) touch the guides themselves: the admin's
`refresh_guide` and "Mark as verified"; an import saves the guide in the transaction of its bulk writes.
A touch comes after the change it marks, in its transaction when there is one; outside a transaction, a
reader may be served the page as it was for the moment between the two.
"""

from __future__ import annotations

from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver

from guides.models import SECTION_MODELS, Guide, GuideItem, Theme


@receiver(post_save, sender=Guide)
def guide_saved(sender, instance: Guide, raw: bool, **kwargs) -> None:
    # An ordinary save sets updated_at itself. A raw save (a reversion revert, loaddata) writes back an
    # old updated_at, whose cached page might show something else.
    if raw:
        Guide.objects.filter(pk=instance.pk).touch()


def item_changed(sender, instance: GuideItem, **kwargs) -> None:
    if isinstance(kwargs.get("origin"), Guide):
        return  # deleted with its guide: nothing left to show
    Guide.objects.filter(pk=instance.guide_id).touch()


for _model in SECTION_MODELS.values():
    post_save.connect(item_changed, sender=_model, dispatch_uid=f"guides.signals.{_model.__name__}.saved")
    post_delete.connect(item_changed, sender=_model, dispatch_uid=f"guides.signals.{_model.__name__}.deleted")


@receiver(m2m_changed, sender=Guide.themes.through)
def themes_changed(sender, instance, action: str, reverse: bool, pk_set: set[int] | None, **kwargs) -> None:
    if not reverse:  # guide.themes.add(...), .remove(...), .set(...), .clear()
        if action in ("post_add", "post_remove", "post_clear"):
            Guide.objects.filter(pk=instance.pk).touch()
    elif action in ("post_add", "post_remove"):  # theme.guides.add(guide, ...)
        Guide.objects.filter(pk__in=pk_set or ()).touch()
    elif action == "pre_clear":  # theme.guides.clear(): afterwards nothing says which guides it had
        Guide.objects.filter(themes=instance).touch()


@receiver(post_save, sender=Theme)
def theme_saved(sender, instance: Theme, created: bool, **kwargs) -> None:
    if not created:  # a new theme is on no guide yet; a renamed one shows its new name on each
        Guide.objects.filter(themes=instance).touch()


@receiver(pre_delete, sender=Theme)
def theme_deleted(sender, instance: Theme, **kwargs) -> None:
    # Before the delete, while the guides that show the theme can still be found; the delete runs in
    # the same transaction.
    Guide.objects.filter(themes=instance).touch()
