"""Funnel and drop-off: the cohort funnel of the period's leads, decision gates, where leads
drop out and what it cost, and reached against where they are now."""

import polars as pl
import streamlit as st

from dashboards import charts, queries, ui

ctx = ui.context()
scope = ctx.scope
st.title("Funnel and drop-off")
st.caption(
    f"Leads created in the period ({ctx.period_label}; {scope.team or 'all teams'}, "
    f"{scope.consultant or 'all consultants'}), as they stand on {ctx.as_of:%d %b %Y}. "
    "**Every chart on this page is keyed on the lead's creation date.**"
)

funnel = ui.run("cohort_funnel", scope)
created = funnel["leads_created"][0] if funnel.height else 0
st.metric("Leads created in the period", f"{created:,}")
if created == 0:
    st.info("No leads were created in this period; choose a longer one in the sidebar.")
    st.stop()

st.plotly_chart(charts.funnel(funnel, "Cohort funnel (keyed on creation date)"), width="stretch")
ui.table(
    ui.dashed(
        funnel.select(
            pl.col("label").alias("milestone"),
            "leads_reached",
            (pl.col("stage_conversion") * 100).round(1).alias("% of the stage before"),
            (pl.col("cumulative_conversion") * 100).round(1).alias("% of leads created"),
            "is_decision_point",
        ),
        "% of the stage before",
        "% of leads created",
    )
)

st.subheader("Decision points")
gates = ui.run("decision_gates", scope)
st.caption(
    "Of the leads that reached the stage before each decision: passed, failed (lost or "
    "declined there) and pending (still open); pass rate = passed / (passed + failed)."
)
ui.table(
    ui.dashed(
        gates.select(
            pl.col("label").alias("decision"),
            "leads_at_gate",
            "leads_passed",
            "leads_failed",
            "leads_pending",
            (pl.col("pass_rate") * 100).round(1).alias("pass rate %"),
        ),
        "pass rate %",
    )
)
ui.drill(
    "The leads behind the decision points",
    {
        f"{row['label']} – {name}": queries.LeadCriteria.at_decision(
            scope, row["milestone_order"], number
        )
        for row in gates.iter_rows(named=True)
        for number, name in queries.DECISION_NUMBERS.items()
    },
    key="decision-points",
)

st.subheader("Drop-off by stage")
dropped = ui.run("dropoff", scope)
if dropped.height:
    st.plotly_chart(
        charts.dropoff_bars(dropped, "Lost and declined leads by stage and reason"),
        width="stretch",
    )
    by_stage = (
        dropped.group_by("stage_order", "stage")
        .agg(pl.col("leads").sum(), pl.col("fee_lost").sum())
        .sort("stage_order")
    )
    left, right = st.columns(2)
    # Not the leads' and History's fee lost, which counts lost leads only. The stage is the
    # furthest milestone a lead reached before it died, not a decision it failed: "After
    # Interviews booked", or "Before CVs received" for a lead that reached none.
    dropped_at = (
        pl.when(pl.col("stage_order") == 0)
        .then(pl.col("stage"))
        .otherwise(pl.lit("After ") + pl.col("stage"))
        .alias("stage")
    )
    dropped_fee = {"fee_lost": "Fee dropped", "stage": "Dropped"}
    ui.table(by_stage.with_columns(dropped_at).drop("stage_order"), labels=dropped_fee, into=left)
    ui.table(dropped.with_columns(dropped_at).drop("stage_order"), labels=dropped_fee, into=right)
    st.caption(
        "Fee dropped: the expected fee of the lost and declined leads (History's fee lost "
        "counts the lost ones only); later stages cost more."
    )
else:
    st.info("No lead created in this period has been lost or declined.")

st.subheader("Reached against where they are now")
now = ui.run("where_now", scope)
wide = now.pivot(
    on="status", index="stage_order", values="leads", aggregate_function="sum"
).fill_null(0)
stages = pl.concat(
    [
        pl.DataFrame(
            {"milestone_order": [0], "label": ["No milestone yet"], "leads_reached": [created]},
            schema={"milestone_order": pl.Int32, "label": pl.String, "leads_reached": pl.Int64},
        ),
        funnel.select("milestone_order", "label", "leads_reached").cast(
            {"milestone_order": pl.Int32, "leads_reached": pl.Int64}
        ),
    ]
)
table = stages.join(
    wide.rename({"stage_order": "milestone_order"}).cast({"milestone_order": pl.Int32}),
    on="milestone_order",
    how="left",
).fill_null(0)
st.plotly_chart(charts.reached_vs_now(table.slice(1), "Reached vs now here"), width="stretch")
ui.table(table.drop("milestone_order"))
st.caption("Now here: leads whose furthest milestone is this one, by status today.")

options: dict[str, queries.LeadCriteria] = {}
for row in funnel.iter_rows(named=True):
    options[f"Reached {row['label']}"] = queries.LeadCriteria.created_in(
        scope, reached_milestone=row["milestone"]
    )
for row in table.iter_rows(named=True):
    options[f"Now at {row['label']}"] = queries.LeadCriteria.created_in(
        scope, furthest_order=row["milestone_order"]
    )
for row in dropped.iter_rows(named=True):
    # "Declined before CVs received: No budget", "Lost after Interviews booked: ...".
    stage = row["stage"][0].lower() + row["stage"][1:] if row["stage_order"] == 0 else row["stage"]
    after = "" if row["stage_order"] == 0 else "after "
    options[f"{row['status'].title()} {after}{stage}: {row['lost_reason']}"] = (
        queries.LeadCriteria.created_in(
            scope,
            status=row["status"],
            furthest_order=row["stage_order"],
            lost_reason=row["lost_reason"],
        )
    )
ui.drill("The leads behind these numbers", options, key="funnel")
