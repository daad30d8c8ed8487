"""Parcels waiting to ship (the API calls them items)."""

from __future__ import annotations

from django.db import models


class Item(models.Model):
    sku = models.CharField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    quantity = models.PositiveIntegerField(default=0)

    def as_dict(self) -> dict[str, object]:
        return {"id": self.pk, "sku": self.sku, "name": self.name, "quantity": self.quantity}
