"""The submission hot path's database machinery: prepared statements and batched INSERTs.

Django's ORM is enough everywhere else; these two exist because a submission is written 400
times a second (docs/api.md, docs/reliability.md hold the measurements that justify them).
"""
