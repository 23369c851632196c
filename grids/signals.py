"""Keep the point → cell index in step with the cells (and their parents) in this process."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Community, District, GridCell, Street
from .spatial import invalidate_cell_index


@receiver(post_save, sender=GridCell)
@receiver(post_delete, sender=GridCell)
@receiver(post_save, sender=Community)
@receiver(post_delete, sender=Community)
@receiver(post_save, sender=Street)
@receiver(post_delete, sender=Street)
@receiver(post_save, sender=District)
@receiver(post_delete, sender=District)
def cell_changed(**kwargs) -> None:
    invalidate_cell_index()
    transaction.on_commit(invalidate_cell_index)
