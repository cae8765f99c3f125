"""Django's MySQL DatabaseWrapper, connecting through verifull.mysql (see __init__.py)."""
from __future__ import annotations

from django.db.backends.mysql import base as django_mysql

from .. import InputError, mysql
from .._policy import refuse_unknown


class DatabaseWrapper(django_mysql.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        target = params.pop("verifull", None)
        if not target:
            raise InputError("this DATABASES entry has no verifull settings; make it with verifull.django.database()")
        for key in ("host", "port", "unix_socket"):
            if key in params:
                raise InputError(f"the DATABASES entry sets {key.upper() if key != 'unix_socket' else 'HOST'}, but "
                                 "verifull connects to the URL given to verifull.django.database(); remove it")
        # Django manages the credential and the database name (its test runner renames
        # the database), and needs FOUND_ROWS; everything else is a MySQLdb setting that
        # must be one verifull carries, refused by name otherwise.
        replace = {"client_flag": params.pop("client_flag")}
        for ours, django_key in (("user", "user"), ("passwd", "password"), ("db", "database")):
            if django_key in params:
                replace[ours] = params.pop(django_key)
        mysql.refuse_keywords(sorted(params), "the DATABASES entry's OPTIONS")
        refuse_unknown(dict(params), mysql.MYSQLDB_SETTINGS, "the DATABASES entry's OPTIONS")
        return {"target": target, "driver": params, "replace": replace}

    def get_new_connection(self, conn_params):
        target = conn_params["target"]
        connection = mysql.connect_verified(target["url"], target["trust"], target["policy"], conn_params["driver"],
                                            conn_params["replace"])
        if connection.encoders.get(bytes) is bytes:  # as Django's own backend does
            connection.encoders.pop(bytes)
        return connection
