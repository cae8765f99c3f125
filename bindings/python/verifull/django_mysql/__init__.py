"""The Django database backend of verifull.django.database() for MySQL and MariaDB
(ENGINE "verifull.django_mysql"): Django's MySQLdb backend, with every new connection
made by verifull.mysql (probe and verify, pinned to the approved certificate, one
re-approval after a certificate rotation) when Django opens it, not at settings import."""
