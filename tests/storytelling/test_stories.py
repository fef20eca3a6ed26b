

def test_story_without_segment_or_region_renders():
    from storytelling.render import render_story_html
    from storytelling.schema import CodedUnit, InterviewData, StudyInfo, UnitCode
    from storytelling.stories import build_story

    interview = InterviewData(id="9", account="Bare S.r.l.", metadata={}, rating=6, units=[
        CodedUnit(id="u1", text="Le consegne arrivano sempre in ritardo di due giorni.", start=3.0,
                  codes=[UnitCode(path="delivery/late-shipments", name="Ritardi")], sentiment="negative")])
    html = render_story_html(build_story(interview, StudyInfo(id="1", title="Studio", language="it")))
    assert "Bare S.r.l." in html and "ritardo" in html
