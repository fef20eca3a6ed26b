"""Every user-facing string of reports and stories, in Italian and English, and the
formatting of numbers and dates in each language.

Public API: `t(key, language, **values)`, `plural(noun, count, language)`, `format_number`,
`format_signed`, `format_percent`, `format_rating`, `format_date`, `format_date_short`,
`format_month`, `theme_name`, `owner_for`, `language_label`, `DEFAULT_CODE_OWNERS`, `STRINGS`,
`PLURALS`.

Numbers, percentages and dates are formatted by Babel in the report's locale; plurals are
tables keyed on the CLDR plural category Babel gives for the count ("1 intervista",
"2 interviste").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from .errors import InvalidCorpus

MINUS = "\u2212"
LOCALES = {"en": "en_GB", "it": "it_IT"}

STRINGS: dict[str, dict[str, str]] = {
    # cover, contents, page furniture
    "report_title": {"en": "Voice of customer report", "it": "Report sulla voce del cliente"},
    "story_kicker": {"en": "Customer story", "it": "Storia del cliente"},
    "generated_on": {"en": "Generated on {date}", "it": "Generato {date}"},
    "filters_applied": {"en": "Filters applied", "it": "Filtri applicati"},
    "no_filters": {"en": "All interviews (no filters)", "it": "Tutte le interviste (nessun filtro)"},
    "contents": {"en": "Contents", "it": "Indice"},
    "page_of": {"en": "Page {page} of {pages}", "it": "Pagina {page} di {pages}"},
    "page": {"en": "Page", "it": "Pagina"},
    "of": {"en": "of", "it": "di"},
    "interviews_analysed": {"en": "Interviews analysed", "it": "Interviste analizzate"},
    "kpi_interviews": {"en": "Interviews", "it": "Interviste"},
    "accounts": {"en": "Accounts", "it": "Clienti"},
    "period": {"en": "Period", "it": "Periodo"},
    "date_range": {"en": "{start} to {end}", "it": "{start} {end}"},
    # filter names
    "filter_segment": {"en": "Segment", "it": "Segmento"},
    "filter_region": {"en": "Region", "it": "Area"},
    "filter_product_line": {"en": "Product line", "it": "Linea di prodotto"},
    "filter_journey_stage": {"en": "Journey stage", "it": "Fase del percorso"},
    "filter_interviewer": {"en": "Interviewer", "it": "Intervistatore"},
    "filter_account": {"en": "Account", "it": "Cliente"},
    "filter_date_from": {"en": "From", "it": "Dal"},
    "filter_date_to": {"en": "To", "it": "Al"},
    # sections
    "sec_summary": {"en": "Executive summary", "it": "Sintesi"},
    "sec_ratings": {"en": "Ratings and their reasons", "it": "Valutazioni e motivazioni"},
    "sec_themes": {"en": "Themes and sentiment", "it": "Temi e sentiment"},
    "sec_drivers": {"en": "What drives the rating", "it": "Cosa determina la valutazione"},
    "sec_segments": {"en": "Segment comparison", "it": "Confronto tra segmenti"},
    "sec_trend": {"en": "Trend over time", "it": "Andamento nel tempo"},
    "sec_stories": {"en": "Customer stories", "it": "Storie dei clienti"},
    "sec_loop": {"en": "Close the loop", "it": "Clienti da ricontattare"},
    "sec_methodology": {"en": "Methodology", "it": "Nota metodologica"},
    # scales and groups
    "scale_nps": {"en": "Net Promoter Score", "it": "Net Promoter Score"},
    "scale_csat": {"en": "Customer satisfaction (CSAT, 1–5)",
                   "it": "Soddisfazione del cliente (CSAT, 1–5)"},
    "scale_ces": {"en": "Customer effort (CES, 1–7)", "it": "Sforzo del cliente (CES, 1–7)"},
    "score_nps": {"en": "NPS", "it": "NPS"},
    "score_csat": {"en": "Mean CSAT", "it": "CSAT medio"},
    "score_ces": {"en": "Mean CES", "it": "CES medio"},
    "group_promoter": {"en": "Promoters", "it": "Promotori"},
    "group_passive": {"en": "Passives", "it": "Passivi"},
    "group_detractor": {"en": "Detractors", "it": "Detrattori"},
    "group_satisfied": {"en": "Satisfied", "it": "Soddisfatti"},
    "group_neutral": {"en": "Neutral", "it": "Neutrali"},
    "group_dissatisfied": {"en": "Dissatisfied", "it": "Insoddisfatti"},
    "group_easy": {"en": "Low effort", "it": "Sforzo basso"},
    "group_hard": {"en": "High effort", "it": "Sforzo alto"},
    "one_promoter": {"en": "promoter", "it": "promotore"},
    "one_passive": {"en": "passive", "it": "passivo"},
    "one_detractor": {"en": "detractor", "it": "detrattore"},
    "one_satisfied": {"en": "satisfied", "it": "soddisfatto"},
    "one_neutral": {"en": "neutral", "it": "neutrale"},
    "one_dissatisfied": {"en": "dissatisfied", "it": "insoddisfatto"},
    "one_easy": {"en": "low effort", "it": "sforzo basso"},
    "one_hard": {"en": "high effort", "it": "sforzo alto"},
    "rating": {"en": "Rating", "it": "Valutazione"},
    "rating_short": {"en": "Rating", "it": "Voto"},
    "rated": {"en": "rated", "it": "con valutazione"},
    "mean": {"en": "mean", "it": "media"},
    "out_of": {"en": "{value} out of {high}", "it": "{value} su {high}"},
    "nps_formula": {"en": "NPS = % promoters (9–10) − % detractors (0–6)",
                    "it": "NPS = % promotori (9–10) − % detrattori (0–6)"},
    # sentiment
    "sent_positive": {"en": "Positive", "it": "Positivo"},
    "sent_negative": {"en": "Negative", "it": "Negativo"},
    "sent_neutral": {"en": "Neutral", "it": "Neutro"},
    "sent_mixed": {"en": "Mixed", "it": "Misto"},
    "net_sentiment": {"en": "net sentiment", "it": "sentiment netto"},
    "net_sentiment_col": {"en": "Net sentiment", "it": "Sentiment netto"},
    # summary
    "top_pains": {"en": "Top pain points", "it": "Principali criticità"},
    "top_delights": {"en": "Top delighters", "it": "Principali punti di forza"},
    "main_reason": {"en": "Main reason", "it": "Motivo principale"},
    "interviews_n": {"en": "{count} interviews", "it": "{count} interviste"},
    "interview_1": {"en": "1 interview", "it": "1 intervista"},
    "distribution": {"en": "Rating distribution", "it": "Distribuzione delle valutazioni"},
    "unrated_note": {"en": "Without a rating, not counted: {interviews}.",
                     "it": "Senza valutazione, non conteggiate: {interviews}."},
    # ratings section
    "themes_they_raise": {"en": "Themes they raise", "it": "Temi più citati"},
    "reasons_they_give": {"en": "Reasons they give", "it": "Motivi addotti"},
    # themes
    "theme": {"en": "Theme", "it": "Tema"},
    "mentions": {"en": "Mentions", "it": "Menzioni"},
    "interviews": {"en": "Interviews", "it": "Interviste"},
    "themes_caption": {"en": "Coded mentions per theme, split by sentiment (units).",
                       "it": "Menzioni codificate per tema, divise per sentiment (unità)."},
    # drivers
    "impact": {"en": "Impact on rating", "it": "Impatto sulla valutazione"},
    "frequency": {"en": "Share of rated interviews mentioning", "it": "Quota di interviste che lo citano"},
    "quad_fix_first": {"en": "Fix first", "it": "Da correggere subito"},
    "quad_maintain": {"en": "Maintain", "it": "Da mantenere"},
    "quad_monitor": {"en": "Monitor", "it": "Da monitorare"},
    "quad_leverage": {"en": "Leverage", "it": "Da valorizzare"},
    "quadrant": {"en": "Quadrant", "it": "Quadrante"},
    "mean_with": {"en": "Mean with", "it": "Media con"},
    "mean_without": {"en": "Mean without", "it": "Media senza"},
    "impact_interval": {"en": "90% interval", "it": "Intervallo al 90%"},
    "uncertain": {"en": "uncertain: the interval includes 0", "it": "incerto: l'intervallo include lo 0"},
    "drivers_caption": {
        "en": "Impact is the mean rating of interviews that mention a theme minus the mean of "
              "those that do not; the vertical line is the median frequency ({threshold}).",
        "it": "L'impatto è la valutazione media delle interviste che citano il tema meno quella "
              "delle interviste che non lo citano; la linea verticale è la frequenza mediana "
              "({threshold}).",
    },
    # segments
    "segment_caption": {
        "en": "Share of interviews in each {dimension} that mention the theme; the small figure is "
              "the net sentiment (positive minus negative mentions, in % of mentions).",
        "it": "Quota di interviste di ciascun valore di «{dimension}» che citano il tema; il numero "
              "piccolo è il sentiment netto (menzioni positive meno negative, in % delle menzioni).",
    },
    # trend
    "trend_caption": {"en": "{score} per month; n = interviews with a rating.",
                      "it": "{score} per mese; n = interviste con valutazione."},
    "month": {"en": "Month", "it": "Mese"},
    # loop
    "loop_intro": {
        "en": "Detractors first, then customers who rated us higher but made a strongly "
              "negative comment, with the reason to discuss and the team best placed to call "
              "them back.",
        "it": "Prima i detrattori, poi i clienti che ci hanno dato un voto più alto ma hanno "
              "espresso un giudizio fortemente negativo, con il motivo da affrontare e il team "
              "più adatto a richiamarli.",
    },
    "customer": {"en": "Customer", "it": "Cliente"},
    "reason": {"en": "Reason", "it": "Motivo"},
    "owner": {"en": "Suggested owner", "it": "Referente suggerito"},
    "status": {"en": "Status", "it": "Stato"},
    "status_open": {"en": "Open", "it": "Aperto"},
    "status_contacted": {"en": "Contacted", "it": "Contattato"},
    "status_resolved": {"en": "Resolved", "it": "Risolto"},
    "trigger_low_rating": {"en": "low rating", "it": "valutazione bassa"},
    "trigger_strong_negative": {"en": "strongly negative comment",
                                "it": "commento fortemente negativo"},
    # stories
    "what_to_do": {"en": "What to do", "it": "Cosa fare"},
    "status_draft": {"en": "Draft", "it": "Bozza"},
    "status_approved": {"en": "Approved", "it": "Approvata"},
    "interviewed_on": {"en": "Interviewed on {date}", "it": "Intervista {date}"},
    # methodology
    "sample": {"en": "Sample", "it": "Campione"},
    "units_coded": {"en": "Coded answer units", "it": "Unità di risposta codificate"},
    "codes_total": {"en": "Codes assigned", "it": "Codici assegnati"},
    "codes_confirmed": {"en": "Confirmed by an analyst", "it": "Confermati da un analista"},
    "codes_model_only": {"en": "Model only, not yet reviewed", "it": "Solo modello, non ancora rivisti"},
    "codes_uncounted": {"en": "Left out: model codes below the confidence threshold ({threshold})",
                        "it": "Esclusi: codici del modello sotto la soglia di confidenza ({threshold})"},
    "respondents": {"en": "Respondents", "it": "Intervistati"},
    "respondent": {"en": "Respondent", "it": "Intervistato"},
    "agreement": {"en": "Agreement between coders", "it": "Accordo tra codificatori"},
    "no_agreement": {"en": "No agreement check was run for this study.",
                     "it": "Per questo studio non è stato calcolato l'accordo tra codificatori."},
    "method_text": {
        "en": "Interviews were transcribed and split into answer units; each unit was coded with "
              "themes, a sentiment and, where the customer gave one, a reason-why. Counts are "
              "interviews unless stated; a theme counts once per interview however often it "
              "came up. Quotes are verbatim.",
        "it": "Le interviste sono state trascritte e suddivise in unità di risposta; a ogni unità "
              "sono stati assegnati temi, un sentiment e, quando il cliente l'ha espresso, un "
              "motivo. I conteggi si riferiscono alle interviste salvo dove indicato: un tema conta "
              "una volta per intervista, anche se è emerso più volte. Le citazioni sono testuali.",
    },
    "method_drivers": {
        "en": "Driver matrix: impact = mean rating with the theme − mean rating without it, "
              "among rated interviews; themes mentioned in fewer than {min} rated interviews, or "
              "in all of them, are left out. A theme is frequent when its share is at or above "
              "the median share of the themes shown ({threshold}); impact below {impact} means "
              "the theme pulls the rating down. Fix first: frequent and pulling down. Monitor: "
              "rare and pulling down. Maintain: frequent and lifting. Leverage: rare and lifting.",
        "it": "Matrice dei driver: impatto = valutazione media con il tema − valutazione media "
              "senza, tra le interviste con valutazione; sono esclusi i temi citati in meno di "
              "{min} interviste con valutazione, o in tutte. Un tema è frequente quando la sua "
              "quota è pari o superiore alla mediana dei temi mostrati ({threshold}); un impatto "
              "inferiore a {impact} indica che il tema abbassa la valutazione. Da correggere "
              "subito: frequente e negativo. Da monitorare: raro e negativo. Da mantenere: "
              "frequente e positivo. Da valorizzare: raro e positivo.",
    },
    "method_redacted": {
        "en": "Personal data (names, e-mail addresses, phone numbers and the like) was replaced by "
              "placeholders such as [NAME] in the quotes, reasons and stories of this report; "
              "respondents are named by their role.",
        "it": "I dati personali (nomi, indirizzi e-mail, numeri di telefono e simili) sono stati "
              "sostituiti da segnaposto come [NOME] nelle citazioni, nei motivi e nelle storie di "
              "questo report; gli intervistati sono indicati con il loro ruolo.",
    },
    "method_loop": {
        "en": "Close the loop lists interviews rated in the lowest group ({low}) and interviews "
              "with a strongly negative comment (sentiment score ≤ −0.75, or negative with "
              "confidence ≥ 0.8 when no score is known).",
        "it": "L'elenco dei clienti da ricontattare comprende le interviste nel gruppo più basso "
              "({low}) e quelle con un commento fortemente negativo (punteggio di sentiment ≤ −0,75, "
              "oppure negativo con confidenza ≥ 0,8 se il punteggio non è noto).",
    },
    # empty states
    "empty_filtered": {
        "en": "No interviews match the filters. Widen or remove a filter to see results.",
        "it": "Nessuna intervista corrisponde ai filtri. Allarga o togli un filtro per vedere "
              "i risultati.",
    },
    "empty_corpus": {"en": "This study has no coded interviews yet.",
                     "it": "Questo studio non ha ancora interviste codificate."},
    "empty_ratings": {"en": "No ratings were given in these interviews.",
                      "it": "In queste interviste non è stata data alcuna valutazione."},
    "empty_pains": {"en": "No pain points: no theme was mentioned negatively.",
                    "it": "Nessuna criticità: nessun tema è stato citato in modo negativo."},
    "empty_delights": {"en": "No delighters: no theme was mentioned positively.",
                       "it": "Nessun punto di forza: nessun tema è stato citato in modo positivo."},
    "empty_themes": {"en": "No themes were coded in these interviews.",
                     "it": "In queste interviste non è stato codificato alcun tema."},
    "empty_drivers": {
        "en": "Driver analysis needs at least {min} rated interviews and themes mentioned by some "
              "but not all of them; there are {rated} rated interviews.",
        "it": "L'analisi dei driver richiede almeno {min} interviste con valutazione e temi citati "
              "da alcune ma non da tutte; le interviste con valutazione sono {rated}.",
    },
    "empty_segments": {
        "en": "All interviews share one {dimension}; there is nothing to compare.",
        "it": "Tutte le interviste hanno lo stesso valore di «{dimension}»: non c'è nulla da "
              "confrontare.",
    },
    "empty_trend": {
        "en": "The trend appears when rated interviews span more than one month.",
        "it": "L'andamento compare quando le interviste con valutazione coprono più di un mese.",
    },
    "empty_stories": {
        "en": "No approved stories yet. Approve customer stories in the workbench to include "
              "them here.",
        "it": "Non ci sono ancora storie approvate. Approva le storie dei clienti nel workbench "
              "per includerle qui.",
    },
    "empty_loop": {"en": "Nobody to call back: no detractors and no strongly negative comments.",
                   "it": "Nessun cliente da ricontattare: non ci sono detrattori né commenti "
                         "fortemente negativi."},
    "empty_group": {"en": "No interviews in this group.", "it": "Nessuna intervista in questo gruppo."},
    "no_reason": {"en": "No reason given.", "it": "Nessun motivo espresso."},
    "other": {"en": "Other", "it": "Altro"},
    # workbench pages around the report (web chrome, drill-down to quotes)
    "ui_studies": {"en": "Studies", "it": "Studi"},
    "ui_report": {"en": "Report", "it": "Report"},
    "ui_stories": {"en": "Customer stories", "it": "Storie dei clienti"},
    "ui_download_pdf": {"en": "Download PDF", "it": "Scarica il PDF"},
    "ui_language": {"en": "Language", "it": "Lingua"},
    "ui_lang_en": {"en": "English", "it": "Inglese"},
    "ui_lang_it": {"en": "Italian", "it": "Italiano"},
    "ui_all": {"en": "All", "it": "Tutti"},
    "ui_apply": {"en": "Apply", "it": "Applica"},
    "ui_clear_filters": {"en": "Clear filters", "it": "Togli i filtri"},
    "ui_updating": {"en": "Updating the report…", "it": "Aggiornamento del report…"},
    "ui_filter_report": {"en": "Filter the report", "it": "Filtra il report"},
    "ui_follow_up": {"en": "Follow up the customers to call back", "it": "Segui i clienti da ricontattare"},
    "ui_follow_up_hint": {
        "en": "Record who has been called back. The status appears in the report's list of customers to call back "
              "and in the PDF.",
        "it": "Registra chi è stato ricontattato. Lo stato compare nell'elenco dei clienti da ricontattare del report "
              "e nel PDF.",
    },
    "ui_follow_up_status": {"en": "Follow-up status", "it": "Stato del ricontatto"},
    "ui_follow_up_open": {"en": "Set the follow-up status of the {n} customers to call back",
                          "it": "Imposta lo stato del ricontatto dei {n} clienti da ricontattare"},
    "ui_save": {"en": "Save", "it": "Salva"},
    "ui_quotes": {"en": "Quotes", "it": "Citazioni"},
    "ui_back_to_report": {"en": "Back to the report", "it": "Torna al report"},
    "ui_press_play": {"en": "press ▶ to hear the customer say it", "it": "premi ▶ per ascoltare il cliente"},
    "ui_play": {"en": "Play this quote", "it": "Ascolta questa citazione"},
    "ui_play_at": {"en": "Play this quote, at {time}", "it": "Ascolta questa citazione, a {time}"},
    "ui_rated": {"en": "rated {rating}", "it": "valutazione {rating}"},
    "ui_open_interview": {"en": "Open the interview", "it": "Apri l'intervista"},
    "ui_why": {"en": "Why", "it": "Perché"},
    "ui_no_quotes": {"en": "No quotes behind this figure: no coded answer matches it.",
                     "it": "Nessuna citazione dietro questo dato: nessuna risposta codificata corrisponde."},
    "ui_no_quotes_filtered": {
        "en": "No quotes behind this figure: no coded answer matches it with the filters chosen in the report.",
        "it": "Nessuna citazione dietro questo dato: nessuna risposta codificata corrisponde con i filtri "
              "scelti nel report.",
    },
    "q_behind": {"en": "Quotes behind {what}", "it": "Citazioni dietro {what}"},
    "q_whole": {"en": "the whole report", "it": "l'intero report"},
    "q_theme": {"en": "theme {name}", "it": "il tema {name}"},
    "q_sentiment": {"en": "{sentiment} mentions", "it": "menzioni con sentiment {sentiment}"},
    "q_rating": {"en": "interviews rating {rating}", "it": "interviste con valutazione {rating}"},
    "q_month": {"en": "interviews of {month}", "it": "interviste di {month}"},
    "q_unit": {"en": "one answer", "it": "una risposta"},
    # sample sizes and uncertainty
    "n_of": {"en": "{count} of {total}", "it": "{count} su {total}"},
    "indicative": {"en": "indicative, n < {min}", "it": "indicativo, n < {min}"},
    "indicative_note": {
        "en": "* Fewer than {min} interviews: the percentage is only indicative.",
        "it": "* Meno di {min} interviste: la percentuale è solo indicativa.",
    },
    "interval_90": {"en": "90% interval {low} to {high}", "it": "intervallo al 90% da {low} a {high}"},
    "other_scales": {"en": "Other ratings", "it": "Altre valutazioni"},
    "mean_n": {"en": "{mean} (n = {n})", "it": "{mean} (n = {n})"},
    "share_negative": {"en": "with a negative mention", "it": "con giudizio negativo"},
    "share_positive": {"en": "with a positive mention", "it": "con giudizio positivo"},
    "reason_n": {"en": "n = {count} of {total}", "it": "n = {count} su {total}"},
    "drivers_none_clear": {
        "en": "With {rated} rated interviews the effect of each theme on the rating cannot be told "
              "yet: for every theme the 90% interval of its impact includes 0, so no theme is placed "
              "in a quadrant. The table gives the figures with their n; none of them is a finding.",
        "it": "Con {rated} interviste con valutazione non si può ancora dire quale effetto abbia "
              "ciascun tema sulla valutazione: per ogni tema l'intervallo al 90% dell'impatto include "
              "lo 0, quindi nessun tema è collocato in un quadrante. La tabella riporta le cifre con "
              "il loro n; nessuna è un risultato.",
    },
    "drivers_uncertain_list": {
        "en": "Not placed in a quadrant, the 90% interval of their impact includes 0:",
        "it": "Non collocati in un quadrante, l'intervallo al 90% dell'impatto include lo 0:",
    },
    "driver_uncertain_item": {"en": "uncertain effect, n = {n_with} with the theme, {n_without} without",
                              "it": "effetto incerto, n = {n_with} con il tema, {n_without} senza"},
    "no_quadrant": {"en": "none (uncertain)", "it": "nessuno (incerto)"},
    # the language of a customer's words, named when it is not the report's (never translated)
    "in_lang_en": {"en": "in English", "it": "in inglese"},
    "in_lang_it": {"en": "in Italian", "it": "in italiano"},
    "scale_mean_n": {"en": "mean {mean} · n = {n}", "it": "media {mean} · n = {n}"},
    "method_uncertainty": {
        "en": "Every figure shows its n. Percentages over fewer than {min} interviews are marked "
              "as indicative. The NPS interval is a 90% normal interval from the usual NPS "
              "variance, var = (p_pro + p_det − (p_pro − p_det)²) / n, clipped to ±100; means carry "
              "a 90% normal interval from their standard error, and driver impacts a 90% interval "
              "from the standard error of a difference of means; a driver whose interval includes 0 "
              "is marked uncertain.",
        "it": "Ogni dato riporta la sua n. Le percentuali calcolate su meno di {min} interviste "
              "sono segnalate come indicative. L'intervallo dell'NPS è un intervallo normale al 90% "
              "calcolato dalla varianza consueta dell'NPS, var = (p_pro + p_det − (p_pro − p_det)²) / n, "
              "limitato a ±100; le medie hanno un intervallo normale al 90% dal loro errore standard e "
              "l'impatto dei driver un intervallo al 90% dall'errore standard di una differenza tra medie; "
              "un driver il cui intervallo include lo 0 è segnalato come incerto.",
    },
    "method_trust": {
        "en": "Only codes an analyst gave or accepted, or model codes with confidence of at least "
              "{threshold}, count in this report; rejected codes never do. A top pain point or "
              "delighter needs that sentiment in at least {min} interviews; quotes are answers coded "
              "with the theme and its sentiment, and reasons are quoted only when they are readable "
              "words of the answer.",
        "it": "In questo report contano solo i codici assegnati o accettati da un analista, oppure i "
              "codici del modello con confidenza di almeno {threshold}; i codici rifiutati non contano "
              "mai. Una criticità o un punto di forza principale richiede quel sentiment in almeno "
              "{min} interviste; le citazioni sono risposte codificate con il tema e il suo sentiment, "
              "e i motivi sono citati solo se sono parole leggibili della risposta.",
    },
    "story_in_en": {"en": "in English", "it": "in inglese"},
    "story_in_it": {"en": "in Italian", "it": "in italiano"},
    # stories: actions drawn from the customers' reasons
    "action_address": {"en": "Address: {reason} ({accounts})", "it": "Intervenire su: {reason} ({accounts})"},
    "unknown": {"en": "Not set", "it": "Non indicato"},
}

# Nouns with a count, by CLDR plural category ("one", "other"; Italian also has "many" for
# millions, written like "other").
PLURALS: dict[str, dict[str, dict[str, str]]] = {
    "interview": {"en": {"one": "{n} interview", "other": "{n} interviews"},
                  "it": {"one": "{n} intervista", "other": "{n} interviste"}},
    "account": {"en": {"one": "{n} account", "other": "{n} accounts"},
                "it": {"one": "{n} cliente", "other": "{n} clienti"}},
    "mention": {"en": {"one": "{n} mention", "other": "{n} mentions"},
                "it": {"one": "{n} menzione", "other": "{n} menzioni"}},
    "rated_interview": {"en": {"one": "{n} rated interview", "other": "{n} rated interviews"},
                        "it": {"one": "{n} intervista con valutazione",
                               "other": "{n} interviste con valutazione"}},
    "promoter": {"en": {"one": "{n} promoter", "other": "{n} promoters"},
                 "it": {"one": "{n} promotore", "other": "{n} promotori"}},
    "passive": {"en": {"one": "{n} passive", "other": "{n} passives"},
                "it": {"one": "{n} passivo", "other": "{n} passivi"}},
    "detractor": {"en": {"one": "{n} detractor", "other": "{n} detractors"},
                  "it": {"one": "{n} detrattore", "other": "{n} detrattori"}},
    "quote": {"en": {"one": "{n} quote", "other": "{n} quotes"},
              "it": {"one": "{n} citazione", "other": "{n} citazioni"}},
}

MONTHS = {
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
    "it": ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
           "settembre", "ottobre", "novembre", "dicembre"],
}
MONTHS_SHORT = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "it": ["gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"],
}

# Theme path prefix -> the team that should act on it. The longest matching prefix wins;
# a corpus's own `code_owners` override these. Italian top-level names are aliases.
DEFAULT_CODE_OWNERS: dict[str, dict[str, str]] = {
    "en": {
        "delivery": "Logistics",
        "shipping": "Logistics",
        "logistics": "Logistics",
        "invoicing": "Accounts receivable",
        "billing": "Accounts receivable",
        "payment": "Accounts receivable",
        "credit": "Credit management",
        "collection": "Credit management",
        "support": "Customer service",
        "service": "Customer service",
        "product": "Product management",
        "quality": "Quality assurance",
        "pricing": "Sales",
        "price": "Sales",
        "sales": "Sales",
        "account-management": "Account management",
        "relationship": "Account management",
        "communication": "Customer success",
        "onboarding": "Customer success",
        "training": "Customer success",
        "ordering": "Sales operations",
        "portal": "Digital team",
        "website": "Digital team",
        "documentation": "Product management",
        # Italian paths
        "consegna": "Logistics",
        "consegne": "Logistics",
        "fatturazione": "Accounts receivable",
        "pagamenti": "Accounts receivable",
        "assistenza": "Customer service",
        "prodotto": "Product management",
        "qualita": "Quality assurance",
        "qualità": "Quality assurance",
        "prezzo": "Sales",
        "prezzi": "Sales",
        "ordini": "Sales operations",
        "formazione": "Customer success",
    },
    "it": {
        "delivery": "Logistica",
        "shipping": "Logistica",
        "logistics": "Logistica",
        "invoicing": "Contabilità clienti",
        "billing": "Contabilità clienti",
        "payment": "Contabilità clienti",
        "credit": "Gestione crediti",
        "collection": "Gestione crediti",
        "support": "Servizio clienti",
        "service": "Servizio clienti",
        "product": "Product management",
        "quality": "Controllo qualità",
        "pricing": "Ufficio commerciale",
        "price": "Ufficio commerciale",
        "sales": "Ufficio commerciale",
        "account-management": "Account management",
        "relationship": "Account management",
        "communication": "Customer success",
        "onboarding": "Customer success",
        "training": "Customer success",
        "ordering": "Ufficio ordini",
        "portal": "Team digitale",
        "website": "Team digitale",
        "documentation": "Product management",
        "consegna": "Logistica",
        "consegne": "Logistica",
        "fatturazione": "Contabilità clienti",
        "pagamenti": "Contabilità clienti",
        "assistenza": "Servizio clienti",
        "prodotto": "Product management",
        "qualita": "Controllo qualità",
        "qualità": "Controllo qualità",
        "prezzo": "Ufficio commerciale",
        "prezzi": "Ufficio commerciale",
        "ordini": "Ufficio ordini",
        "formazione": "Customer success",
    },
}
FALLBACK_OWNER = {"en": "Customer experience", "it": "Customer experience"}


def _lang(language: str) -> str:
    if language not in ("en", "it"):
        raise InvalidCorpus(f"Unknown language {language!r}; use 'it' or 'en'.")
    return language


def t(key: str, language: str, **values: object) -> str:
    """The string `key` in `language`, with `{name}` placeholders filled from `values`."""
    text = STRINGS[key][_lang(language)]
    return text.format(**values) if values else text


def language_label(said_in: str | None, language: str) -> str:
    """"in inglese" / "in Italian": the label of words said in `said_in` inside a text in
    `language`; "" when they are the same or `said_in` is unknown."""
    if not said_in or said_in == language or f"in_lang_{said_in}" not in STRINGS:
        return ""
    return t(f"in_lang_{said_in}", language)


def plural(noun: str, count: int, language: str) -> str:
    """"1 interview" / "3 interviews", "1 intervista" / "3 interviste": the form of `noun`
    for `count` by Babel's plural rule of the language, the number formatted in it."""
    from babel import Locale

    forms = PLURALS[noun][_lang(language)]
    category = Locale.parse(LOCALES[language]).plural_form(count)
    text = forms.get(category) or forms["other"]
    return text.format(n=format_number(count, language))


def format_number(value: float | None, language: str, digits: int = 1) -> str:
    """7.5 -> "7.5" (en) or "7,5" (it); whole numbers lose their decimals; None -> "–"."""
    from babel.numbers import format_decimal

    if value is None:
        return "–"
    value = round(value, digits)
    pattern = "#,##0" if abs(value - round(value)) < 1e-9 else "#,##0." + "0" * digits
    text = format_decimal(value, format=pattern, locale=LOCALES[_lang(language)])
    return text.replace("-", MINUS)


def format_signed(value: float | None, language: str, digits: int = 1) -> str:
    """+12 / −3,5: a sign in front of every non-zero value."""
    if value is None:
        return "–"
    if abs(value) < 10 ** -digits / 2:
        return "0"
    text = format_number(abs(value), language, digits)
    return ("+" if value > 0 else MINUS) + text


def format_percent(share: float | None, language: str) -> str:
    """0.453 -> "45%" (en) / "45%" (it); shares under 1% but above 0 read "<1%"."""
    from babel.numbers import format_percent as babel_percent

    if share is None:
        return "–"
    if 0 < share < 0.005:
        return "<" + babel_percent(0.01, format="#,##0%", locale=LOCALES[_lang(language)])
    return babel_percent(share, format="#,##0%", locale=LOCALES[_lang(language)])


def format_rating(value: float | None, language: str) -> str:
    return format_number(value, language, 1)


_ELIDED = {"il": "l'", "dal": "dall'", "al": "all'", "del": "dell'", "nel": "nell'"}


def format_date(value: dt.date | None, language: str, prep: str = "") -> str:
    """12 March 2025 / 12 marzo 2025 (Babel's long date without the weekday; 1º in Italian
    for the first of the month).

    `prep` is an Italian article or articulated preposition to put in front ("il", "dal",
    "al", "del", "nel"), elided before 8 and 11: "l'8 marzo", "dall'11 aprile". English
    ignores it.
    """
    from babel.dates import format_date as babel_date

    if value is None:
        return ""
    text = babel_date(value, format="d MMMM y", locale=LOCALES[_lang(language)])
    if language == "it" and value.day == 1:
        text = "1º" + text[1:]  # "1º marzo": Italian writes the first of the month as an ordinal
    if language == "it" and prep:
        if value.day in (8, 11) and prep in _ELIDED:
            return _ELIDED[prep] + text
        return f"{prep} {text}"
    return text


def format_date_short(value: dt.date | None, language: str) -> str:
    """12 Mar 2025 / 12 mar 2025."""
    from babel.dates import format_date as babel_date

    if value is None:
        return ""
    return babel_date(value, format="d MMM y", locale=LOCALES[_lang(language)]).replace(".", "")


def format_month(month: str, language: str) -> str:
    """"2025-03" -> "Mar 2025" / "mar 2025"."""
    from babel.dates import format_date as babel_date

    year, number = month.split("-")
    return babel_date(dt.date(int(year), int(number), 1), format="MMM y",
                      locale=LOCALES[_lang(language)]).replace(".", "")


def theme_name(path: str, code_names: Mapping[str, str] | None = None, fallback: str = "") -> str:
    """The display name of a theme: `code_names[path]`, else `fallback`, else the last part
    of the path made readable ("late-shipments" -> "Late shipments")."""
    if code_names and code_names.get(path):
        return code_names[path]
    if fallback:
        return fallback
    leaf = path.rsplit("/", 1)[-1].replace("-", " ").replace("_", " ").strip()
    return leaf[:1].upper() + leaf[1:] if leaf else path


def owner_for(path: str, language: str, overrides: Mapping[str, str] | None = None) -> str:
    """The team that should act on a theme: the longest prefix of `path` found in
    `overrides`, then in the defaults for `language`; "Customer experience" otherwise."""
    defaults = DEFAULT_CODE_OWNERS[_lang(language)]
    parts = path.strip("/").split("/")
    for table in (overrides or {}, defaults):
        lowered = {k.strip("/").lower(): v for k, v in table.items()}
        for end in range(len(parts), 0, -1):
            prefix = "/".join(parts[:end]).lower()
            if prefix in lowered:
                return lowered[prefix]
    return FALLBACK_OWNER[language]
