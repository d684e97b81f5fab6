//! Courses through the engine: what a course sets for its files (destination, folder, template)
//! and records on them, renames that reach jobs and folders, and removals that never orphan a
//! watched folder.

use super::*;
use crate::course::Course;
use crate::urlfmt::UrlFormat;
use crate::watch::{self, FolderOptions};

fn biology() -> Course {
    let mut course = Course::named("Biology 101");
    course.options.destination = Some("r2".into());
    course.options.link_format = Some(UrlFormat::Markdown);
    course
}

#[tokio::test]
async fn a_course_sends_its_files_where_it_says_and_they_carry_its_name() {
    let bench = Bench::new();
    let engine = Arc::new(bench.engine(Bench::settings()));
    engine.save_course(biology(), None).unwrap();
    let image = bench.dir.path().join("cell diagram.png");
    std::fs::write(&image, png(2000)).unwrap();
    let intake = engine
        .add(
            std::slice::from_ref(&image),
            &AddOptions {
                course: Some("biology 101"),
                ..AddOptions::default()
            },
        )
        .unwrap();
    let job = job(&engine, intake.queued[0]);
    assert_eq!(
        job.course.as_deref(),
        Some("Biology 101"),
        "the stored name, whatever the case typed"
    );
    assert_eq!(
        job.destination, "r2",
        "the course's destination, not Images"
    );
    assert!(job.key.starts_with("biology-101/"), "{}", job.key);

    let explicit = engine
        .add(
            &[image],
            &AddOptions {
                course: Some("Biology 101"),
                destination: Some("images"),
                prefix: Some("shared"),
                force: true,
                ..AddOptions::default()
            },
        )
        .unwrap();
    let job2 = super::job(&engine, explicit.queued[0]);
    assert_eq!(
        job2.destination, "images",
        "an explicit choice beats the course's"
    );
    assert!(job2.key.starts_with("shared/"), "{}", job2.key);

    let run = spawn_run(&engine);
    until_done(&engine, intake.queued[0]).await;
    let links = engine
        .links_of(&[intake.queued[0]], UrlFormat::Raw)
        .await
        .unwrap();
    assert!(
        links[0].text.starts_with("!["),
        "the course's link format: {}",
        links[0].text
    );
    run.abort();

    let unknown = engine.add(
        &[bench.dir.path().join("x.pdf")],
        &AddOptions {
            course: Some("Chemistry"),
            ..AddOptions::default()
        },
    );
    let err = unknown.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.message().contains("Chemistry"), "{err}");
}

#[tokio::test]
async fn saving_checks_what_only_the_engine_knows_and_names_stay_unique() {
    let bench = Bench::new();
    let engine = bench.engine(Bench::settings());
    engine.save_course(biology(), None).unwrap();
    let mut twin = Course::named("BIOLOGY 101 ");
    twin.options.prefix = "other".into();
    let err = engine.save_course(twin, None).unwrap_err();
    assert!(err.message().contains("already a course"), "{err}");
    let mut lost = Course::named("Physics");
    lost.options.destination = Some("gcs".into());
    let err = engine.save_course(lost, None).unwrap_err();
    assert!(
        err.message().contains("Physics") && err.message().contains("gcs"),
        "{err}"
    );
    assert_eq!(engine.courses().unwrap().len(), 1, "nothing half-saved");
}

#[tokio::test]
async fn a_rename_reaches_its_jobs_and_folders_and_removal_never_orphans_a_folder() {
    let bench = Bench::new();
    let engine = bench.engine(Bench::settings());
    engine.save_course(biology(), None).unwrap();
    let folder = bench.dir.path().join("Bio");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("notes.pdf"), b"%PDF-1.4 notes").unwrap();
    watch::add_folder(
        &engine,
        &folder,
        FolderOptions {
            course: Some("Biology 101".into()),
            ..FolderOptions::default()
        },
    )
    .unwrap();
    let doc = bench.dir.path().join("syllabus.pdf");
    std::fs::write(&doc, b"%PDF-1.4 syllabus").unwrap();
    let id = engine
        .add(
            &[doc],
            &AddOptions {
                course: Some("Biology 101"),
                ..AddOptions::default()
            },
        )
        .unwrap()
        .queued[0];

    let mut renamed = engine.course("Biology 101").unwrap();
    renamed.name = "Biology 101 (spring)".into();
    engine.save_course(renamed, Some("Biology 101")).unwrap();
    assert_eq!(
        job(&engine, id).course.as_deref(),
        Some("Biology 101 (spring)")
    );
    let folders = watch::folders(&engine).unwrap();
    assert_eq!(
        folders[0].options.course.as_deref(),
        Some("Biology 101 (spring)")
    );
    assert!(
        engine.course("Biology 101").is_err(),
        "the old name is gone"
    );

    // The folder's files take the course's destination and folder.
    let root = &folders[0].root;
    let seen = watch::scan::scan(root, root, &folders[0].filter().unwrap()).files;
    let taken = watch::take(&engine, &folders[0], &seen).unwrap();
    let watched = job(&engine, taken.queued[0]);
    assert_eq!(watched.course.as_deref(), Some("Biology 101 (spring)"));
    assert_eq!(watched.destination, "r2");
    assert!(
        watched.key.starts_with("biology-101/"),
        "the prefix stays: {}",
        watched.key
    );

    let summary = &engine.course_summaries().unwrap()[0];
    assert_eq!(
        (summary.files, summary.folders),
        (2, 1),
        "the syllabus and the folder's notes"
    );

    let err = engine.remove_course("Biology 101 (spring)").unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Precondition);
    assert!(err.message().contains("Bio"), "names the folder: {err}");
    watch::remove_folder(&engine, &folder).unwrap();
    engine.remove_course("biology 101 (SPRING)").unwrap();
    assert!(engine.courses().unwrap().is_empty());
    assert_eq!(
        job(&engine, id).course.as_deref(),
        Some("Biology 101 (spring)"),
        "the history keeps the name"
    );
}

#[tokio::test]
async fn the_preview_routes_and_keys_samples_as_an_upload_would() {
    let bench = Bench::new();
    let engine = bench.engine(Bench::settings());
    let mut course = Course::named("Biology 101");
    let samples = engine.preview_course(&course).await.unwrap();
    let places: Vec<_> = samples.iter().map(|s| s.outcome.clone().unwrap()).collect();
    assert_eq!(
        places
            .iter()
            .map(|p| p.destination.as_str())
            .collect::<Vec<_>>(),
        ["r2", "images", "stream"],
        "each sample by its kind"
    );
    assert!(
        places.iter().all(|p| p.key.starts_with("biology-101/")),
        "{places:?}"
    );
    assert!(
        places[2].url.is_none(),
        "Stream names a video's link at upload"
    );

    course.options.destination = Some("images".into());
    let samples = engine.preview_course(&course).await.unwrap();
    let refused = samples[0].outcome.clone().unwrap_err();
    assert!(!refused.is_empty(), "Images refuses a PDF, and says why");
    assert!(samples[1].outcome.is_ok());

    course.options.template = Some("{prefix}/{kind}".into());
    assert!(
        engine.preview_course(&course).await.is_err(),
        "a template the engine refuses"
    );
}
