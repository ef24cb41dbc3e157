import django.db.models.deletion
from django.db import migrations, models

# The unique (kpi, period) constraint already leads with kpi_id, so the
# foreign key's own index only slows every insert. It is dropped by name
# rather than by AlterField, which on SQLite rebuilds the table (forgetting
# the highest id ever used, so a deleted actual's id could come back and
# inherit its history) and on PostgreSQL leaves the index in place.
INDEX = '"metrics_actual_kpi_id_a35947ef"'


class Migration(migrations.Migration):
    dependencies = [
        ("metrics", "0005_kpi_areas_history"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="actual",
                    name="kpi",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="actuals",
                        to="metrics.kpi",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {INDEX}",
                    reverse_sql=f'CREATE INDEX {INDEX} ON "metrics_actual" ("kpi_id")',
                ),
            ],
        ),
    ]
