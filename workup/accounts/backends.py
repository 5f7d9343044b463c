"""Django's ModelBackend, reading a user and their permissions in one query instead of three.

Every page loads the signed-in user and checks permissions; the stock backend asks the database
once for the user, once for their own permissions and once for their groups'. This backend
reads the user with every permission code (their own and their groups') in one query, and
answers later permission checks from that. Nothing else changes: roles are groups, and a
permission given to a user directly still counts.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Aggregate, CharField, Q, Value
from django.db.models.functions import Concat


class JoinedText(Aggregate):
    """The values of a group joined with commas (GROUP_CONCAT, STRING_AGG)."""

    function = "GROUP_CONCAT"
    template = "%(function)s(%(expressions)s, ',')"
    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="STRING_AGG", **extra)


def _codes(prefix):
    return JoinedText(
        Concat(
            f"{prefix}content_type__app_label",
            Value("."),
            f"{prefix}codename",
            output_field=CharField(),
        )
    )


class ModelBackendOneQuery(ModelBackend):
    def get_user(self, user_id):
        found = (
            get_user_model()
            ._default_manager.filter(pk=user_id)
            .annotate(
                own_perms=_codes("user_permissions__"),
                group_perms=_codes("groups__permissions__"),
            )
            .first()
        )
        if found is None or not self.user_can_authenticate(found):
            return None
        if found.is_active and not found.is_superuser:
            codes = f"{found.own_perms or ''},{found.group_perms or ''}".split(",")
            found._perm_cache = {code for code in codes if code and code != "."}
        return found

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            permissions = Permission.objects.all()
            if not user_obj.is_superuser:
                permissions = permissions.filter(Q(user=user_obj) | Q(group__user=user_obj))
            user_obj._perm_cache = {
                f"{app_label}.{codename}"
                for app_label, codename in permissions.values_list(
                    "content_type__app_label", "codename"
                ).order_by()
            }
        return user_obj._perm_cache
