"""Chart geometry: bars scale to a round maximum and stay inside the picture."""

from __future__ import annotations

from ivr.web.charts import HEIGHT, PAD_BOTTOM, PAD_TOP, WIDTH, bar_chart, hbar_chart, line_chart


def test_bars_scale_to_a_round_top_and_fit() -> None:
    chart = bar_chart([("09", 4), ("10", 7), ("11", 0)])
    plot_h = HEIGHT - PAD_BOTTOM - PAD_TOP
    heights = [b.height for b in chart.bars]
    assert heights == [round(plot_h * 4 / 10, 2), round(plot_h * 7 / 10, 2), 0]
    assert [t.text for t in chart.ticks] == ["0", "5", "10"]
    for bar in chart.bars:
        assert bar.x >= 0
        assert bar.x + bar.width <= WIDTH
        assert bar.y + bar.height <= HEIGHT - PAD_BOTTOM + 0.01
    assert bar_chart([]).empty


def test_many_hours_thin_out_their_labels() -> None:
    assert bar_chart([(f"{h:02d}", 1) for h in range(24)]).label_every == 2
    assert bar_chart([("a", 1)] * 5).label_every == 1


def test_a_csat_line_uses_the_fixed_one_to_five_scale() -> None:
    chart = line_chart([("11-20", 5.0), ("11-21", 1.0)], low=1, high=5)
    points = [tuple(map(float, p.split(","))) for p in chart.points.split()]
    assert points[0][1] == PAD_TOP  # 5 is the top line
    assert points[1][1] == HEIGHT - PAD_BOTTOM  # 1 is the bottom line
    assert [t.text for t in chart.ticks] == ["1", "3", "5"]


def test_horizontal_bars_are_proportional() -> None:
    chart = hbar_chart([("pin", 2), ("main_menu", 1)])
    assert chart.bars[0].width == 2 * chart.bars[1].width
    assert chart.height == 2 * 26
