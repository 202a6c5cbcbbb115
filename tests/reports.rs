//! `tminus report --format junit|html` on a real run: the JUnit file read by a JUnit parser,
//! the HTML opened in headless Chromium and looked at.

mod support;

use support::Sandbox;

/// A run with two phases, a gate, a failed deploy and a rollback; a title that is markup.
fn rolled_back(s: &Sandbox) {
    s.write(
        "rb.toml",
        r##"[runbook]
name = "Batch 2 <rollout> & co"
start = "2025-11-27T09:00:00+02:00"

[[contacts]]
role = "Technical Lead"
name = "Naledi"
reach = "#deployments"

[[phase]]
id = "pre"
title = "Pre-deployment"
at = "-2s"
budget = "2s"
  [[phase.step]]
  id = "check"
  run = "echo all good"
  [[phase.step]]
  id = "go"
  gate = "GO / NO-GO for production"

[[phase]]
id = "deploy"
title = "Deployment"
at = "0s"
budget = "1s"
  [[phase.step]]
  id = "deploy"
  title = "Production <deployment>"
  run = "echo '<script>alert(1)</script>'; sleep 1.2; exit 3"
  undo = "echo undone"
  [[phase.step]]
  id = "never"
  run = "true"

[rollback]
  [[rollback.step]]
  run = "echo rolled back"
"##,
    );
    let ran = s.run("rb.toml", "y\nrollback\n", &["--start", "now+2s", "--go-now"]);
    assert_eq!(ran.code, 3, "stdout:\n{}\nstderr:\n{}", ran.stdout, ran.stderr);
}

#[test]
fn the_junit_report_is_read_by_a_junit_parser() {
    let s = Sandbox::new();
    rolled_back(&s);
    let ran = s.tminus().args(["report", "--format", "junit", "-o", "report.xml"]).output();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let file = std::fs::File::open(s.path().join("report.xml")).unwrap();
    let suites = junit_parser::from_reader(std::io::BufReader::new(file)).expect("a JUnit parser reads it");
    let names: Vec<&str> = suites.suites.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Pre-deployment", "Deployment", "Rollback"]);
    assert_eq!(suites.failures, 1, "{suites:#?}");
    let deployment = &suites.suites[1];
    let deploy = &deployment.cases[0];
    assert_eq!(deploy.original_name, "Production <deployment> (deploy)");
    assert!(deploy.time >= 1.0, "{}", deploy.time);
    let junit_parser::TestStatus::Failure(failure) = &deploy.status else { panic!("{deploy:#?}") };
    assert!(failure.message.contains("exit code 3"), "{failure:#?}");
    // The step's last lines, escaped in the file and whole again once parsed.
    assert!(failure.text.contains("alert(1)"), "{failure:#?}");
    assert!(s.read("report.xml").contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(deployment.cases[1].status.is_skipped());
    let rollback = &suites.suites[2];
    assert!(
        rollback.cases.iter().any(|c| c.original_name.starts_with("undo of Production")),
        "{rollback:#?}"
    );
    assert!(rollback.cases.iter().all(|c| c.status.is_success()), "{rollback:#?}");
}

#[test]
fn the_html_report_draws_its_timeline_in_a_browser() {
    let s = Sandbox::new();
    rolled_back(&s);
    let ran = s.tminus().args(["report", "--format", "html", "-o", "report.html"]).output();
    assert_eq!(ran.code, 0, "{}", ran.stderr);
    let html = s.read("report.html");
    assert!(html.contains("<svg") && html.contains("Batch 2 &lt;rollout&gt; &amp; co"));
    assert!(!html.contains("<script"), "journal text is escaped and the page has no script");
    assert!(!html.contains("http://") && !html.contains("https://"), "nothing from the network");
    for part in ["Pre-deployment", "GO / NO-GO for production", "Technical Lead", "#deployments", "overrun"] {
        assert!(html.contains(part), "{part} in the page");
    }

    let Some(chromium) = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| std::process::Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
    else {
        assert_ne!(
            std::env::var("CI").as_deref(),
            Ok("true"),
            "CI=true: Chromium is required to look at the HTML report"
        );
        eprintln!("SKIPPED: no Chromium here to screenshot the HTML report");
        return;
    };
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-report.png");
    let _ = std::fs::remove_file(&shot);
    let out = std::process::Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1000,900"])
        .arg(format!("--user-data-dir={}", s.path().join("chromium").display()))
        .arg(format!("--screenshot={}", shot.display()))
        .arg(format!("file://{}", s.path().join("report.html").display()))
        .output()
        .expect("chromium runs");
    assert!(shot.exists(), "no screenshot: {}", String::from_utf8_lossy(&out.stderr));
    println!("screenshot: {}", shot.display());

    let decoder = png::Decoder::new(std::fs::File::open(&shot).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buf).unwrap();
    let channels = frame.color_type.samples();
    let pixels: Vec<[u8; 3]> =
        buf[..frame.buffer_size()].chunks(channels).map(|p| [p[0], p[1], p[2]]).collect();
    // Not blank: the pixels vary.
    let mean = pixels.iter().map(|p| p[0] as f64).sum::<f64>() / pixels.len() as f64;
    let variance = pixels.iter().map(|p| (p[0] as f64 - mean).powi(2)).sum::<f64>() / pixels.len() as f64;
    assert!(variance > 100.0, "a blank page: variance {variance}");
    // The timeline is drawn: its planned, failed and gate colours are on screen.
    let near = |hex: &str| {
        let want = [&hex[1..3], &hex[3..5], &hex[5..7]].map(|h| u8::from_str_radix(h, 16).unwrap());
        pixels.iter().filter(|p| p.iter().zip(want).all(|(a, b)| a.abs_diff(b) <= 6)).count()
    };
    // Each is far more than its swatch in the legend.
    let drawn = [
        ("planned", "#c5cbd6", 300),
        ("failed", "#d43f3f", 300),
        ("overrun", "#e07b24", 300),
        ("gate", "#3566d6", 100),
    ];
    for (what, colour, least) in drawn {
        assert!(
            near(colour) > least,
            "the timeline's {what} colour {colour} is not on the screenshot {}",
            shot.display()
        );
    }
}
