"""Comprehensive SR (TID 1500 measurement report) with the numbers behind the banner.

The SR is what a PACS or a registry can read by machine: the probability, the
coded result, the operating point, the model and its hash, and for films the
gate refused, the reason they were not assessed.
"""

from __future__ import annotations

from pydicom import Dataset

from pneumoscan.outputs.dicom import codes
from pneumoscan.outputs.dicom.identity import SR_SERIES_DESCRIPTION, SR_SERIES_NUMBER, output_uids
from pneumoscan.outputs.dicom.wording import DISCLAIMER, operating_label, site_words, verdict
from pneumoscan.results import ScreenResult


def _result_code(result: ScreenResult):
    if not result.ok:
        return codes.NOT_ASSESSED
    return codes.SUSPECTED if result.flagged else codes.NOT_FLAGGED


def build_structured_report(source: Dataset, result: ScreenResult, version: str, sha256: str) -> Dataset:
    import highdicom as hd
    from highdicom import sr

    algorithm = sr.AlgorithmIdentification(
        name="PneumoScan",
        version=version,
        parameters=[f"operating point: {operating_label(result) or 'none'}", f"model sha256: {sha256}"],
    )
    series_uid, sop_uid = output_uids(source.StudyInstanceUID, source.SOPInstanceUID, sha256, "sr")
    measurements = []
    if result.ok and result.probability is not None:
        measurements.append(
            sr.Measurement(codes.PROBABILITY, result.probability, codes.UNITLESS, algorithm_id=algorithm)
        )
        if result.threshold is not None:
            measurements.append(sr.Measurement(codes.THRESHOLD, result.threshold, codes.UNITLESS))
        if result.subtype and result.viral_probability is not None:
            measurements.append(
                sr.Measurement(codes.VIRAL_PROBABILITY, result.viral_probability, codes.UNITLESS)
            )
    group = sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=sr.TrackingIdentifier(uid=hd.UID(), identifier="PneumoScan screening result"),
        finding_type=codes.PNEUMONIA,
        finding_sites=[sr.FindingSite(codes.LUNG)],
        algorithm_id=algorithm,
        measurements=measurements or None,
        qualitative_evaluations=[sr.QualitativeEvaluation(codes.RESULT, _result_code(result))],
        source_images=[sr.SourceImageForMeasurementGroup.from_source_image(source)],
    )
    comment = sr.TextContentItem(
        name=codes.COMMENT,
        value=f"{verdict(result)}; {DISCLAIMER}"[:1024],
        relationship_type=sr.RelationshipTypeValues.CONTAINS,
    )
    group[0].ContentSequence.append(comment)
    context = [site_words(result.operating_point)]
    if result.reader_verdict:  # what the reader decided, recorded beside the AI result
        context.append(f"reader verdict: {result.reader_verdict}")
    group[0].ContentSequence.append(
        sr.TextContentItem(
            name=codes.COMMENT, value="; ".join(context), relationship_type=sr.RelationshipTypeValues.CONTAINS
        )
    )
    observer = sr.ObserverContext(
        observer_type=codes.DEVICE,
        observer_identifying_attributes=sr.DeviceObserverIdentifyingAttributes(
            uid=hd.UID(), name="PneumoScan", model_name=version[:64]
        ),
    )
    report = sr.MeasurementReport(
        observation_context=sr.ObservationContext(observer_device_context=observer),
        procedure_reported=codes.CHEST_XRAY,
        imaging_measurements=[group],
    )
    doc = sr.ComprehensiveSR(
        evidence=[source],
        content=report,
        series_instance_uid=series_uid,
        series_number=SR_SERIES_NUMBER,
        sop_instance_uid=sop_uid,
        instance_number=int(getattr(source, "InstanceNumber", 1) or 1),
        manufacturer="PneumoScan",
        series_description=SR_SERIES_DESCRIPTION,
        is_complete=True,
    )
    return doc
