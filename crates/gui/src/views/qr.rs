//! QR codes of payment URIs (bitcoin-qt's `QRImageWidget`): the `qrcode`
//! crate makes the modules, drawn here as an egui texture cached by text.

use eframe::egui;

/// bitcoin-qt's limit on URI length for a QR code.
pub const MAX_URI_LENGTH: usize = 255;

/// The QR code of `text` as modules (true is dark), `None` when too long
/// or not encodable.
pub fn modules(text: &str) -> Option<(usize, Vec<bool>)> {
    if text.len() > MAX_URI_LENGTH {
        return None;
    }
    let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::L).ok()?;
    let width = code.width();
    let dark = code
        .to_colors()
        .into_iter()
        .map(|c| c == qrcode::Color::Dark)
        .collect();
    Some((width, dark))
}

/// An image of `text`'s QR code, `scale` pixels a module, with the quiet
/// zone of four modules.
pub fn image(text: &str, scale: usize) -> Option<egui::ColorImage> {
    let (width, dark) = modules(text)?;
    let quiet = 4;
    let side = (width + 2 * quiet) * scale;
    let mut pixels = vec![egui::Color32::WHITE; side * side];
    for y in 0..width {
        for x in 0..width {
            if !dark[y * width + x] {
                continue;
            }
            for dy in 0..scale {
                let row = ((y + quiet) * scale + dy) * side;
                for dx in 0..scale {
                    pixels[row + (x + quiet) * scale + dx] = egui::Color32::BLACK;
                }
            }
        }
    }
    Some(egui::ColorImage::new([side, side], pixels))
}

/// Draws `text`'s QR code, or bitcoin-qt's message when it is too long.
pub fn show(ui: &mut egui::Ui, text: &str) {
    let id = ui.scope_id().with(("qr", text));
    let texture: Option<egui::TextureHandle> = ui.ctx().data(|d| d.get_temp(id));
    let texture = match texture {
        Some(t) => Some(t),
        None => image(text, 4).map(|img| {
            let t = ui
                .ctx()
                .load_texture("qr", img, egui::TextureOptions::NEAREST);
            ui.ctx().data_mut(|d| d.insert_temp(id, t.clone()));
            t
        }),
    };
    match texture {
        Some(t) => {
            ui.add(egui::Image::new(&t).alt_text("QR code"));
        }
        None => {
            ui.label("Resulting URI too long, try to reduce the text for label / message.");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_become_codes_and_long_ones_do_not() {
        let (w, dark) = modules("bitcoin:bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080").unwrap();
        assert_eq!(dark.len(), w * w);
        // The finder pattern's corner is dark.
        assert!(dark[0]);
        let img = image("bitcoin:x", 2).unwrap();
        assert_eq!(img.size[0], img.size[1]);
        assert!(modules(&"x".repeat(MAX_URI_LENGTH + 1)).is_none());
    }
}
