//! `facegate._core.ShapePredictor` and `facegate._core.face_chips`: dlib's landmarks and
//! aligned chips computed by the Rust core.

use crate::detach::detached;
use crate::errors::Result;
use crate::images::copy_image;
use facegate_core::CoreError;
use facegate_core::chips;
use facegate_core::landmarks::{Point, Rect, RgbImage, ShapePredictor};
use numpy::ndarray::{Array3, Array4};
use numpy::{
    IntoPyArray, PyArray3, PyArray4, PyReadonlyArray2, PyReadonlyArray3, PyUntypedArrayMethods,
};
use pyo3::prelude::*;
use std::path::PathBuf;

/// A loaded shape predictor, shared by every Python thread that holds it.
///
/// `frozen`: the model is immutable after loading and each prediction works in its own small
/// buffers, so concurrent calls need no synchronisation.
#[pyclass(frozen, name = "ShapePredictor", module = "facegate._core")]
pub struct PyShapePredictor {
    inner: ShapePredictor,
}

#[pymethods]
impl PyShapePredictor {
    /// Reads and validates a dlib shape predictor file (`shape_predictor_5_face_landmarks.dat`
    /// or `shape_predictor_68_face_landmarks.dat`) at `path`.
    #[new]
    fn new(py: Python<'_>, path: PathBuf) -> Result<Self> {
        let inner = detached(py, || ShapePredictor::from_file(&path))?;
        Ok(Self { inner })
    }

    /// The number of landmarks per face (5 or 68).
    #[getter]
    fn points(&self) -> usize {
        self.inner.parts()
    }

    /// dlib's landmarks of the face in each box of `rects` (int64 n × 4: left, top, right,
    /// bottom, inclusive as dlib's) in `image` (uint8 H × W × 3 RGB), as int32 n × points × 2
    /// (x, y), equal to dlib's `shape_predictor(image, rectangle)`.
    fn predict<'py>(
        &self,
        py: Python<'py>,
        image: PyReadonlyArray3<'py, u8>,
        rects: PyReadonlyArray2<'py, i64>,
    ) -> Result<Bound<'py, PyArray3<i32>>> {
        let (pixels, width, height) = copy_image(&image)?;
        if rects.shape()[1] != 4 {
            return Err(CoreError::InvalidArgument(format!(
                "rects must have shape (n, 4), got {:?}",
                rects.shape()
            ))
            .into());
        }
        let rects: Vec<Rect> = rects
            .as_array()
            .rows()
            .into_iter()
            .map(|r| Rect {
                left: r[0],
                top: r[1],
                right: r[2],
                bottom: r[3],
            })
            .collect();
        let parts = self.inner.parts();
        let shapes = detached(py, || {
            let image = RgbImage::new(&pixels, width, height)?;
            let coordinates = self
                .inner
                .predict_batch(&image, &rects)
                .into_iter()
                .flatten()
                .flat_map(|p| [p.x, p.y])
                .map(|v| {
                    i32::try_from(v).map_err(|_| {
                        CoreError::InvalidArgument(
                            "a landmark lies beyond the int32 range: the box is far outside \
                             any image"
                                .to_owned(),
                        )
                    })
                })
                .collect::<std::result::Result<Vec<i32>, CoreError>>()?;
            Ok::<_, CoreError>(coordinates)
        })?;
        let shapes =
            Array3::from_shape_vec((rects.len(), parts, 2), shapes).expect("n × points × 2");
        Ok(shapes.into_pyarray(py))
    }
}

/// dlib's aligned chip of each face (`dlib.get_face_chip(image, shape, size, padding)`, one
/// face at a time) from its landmarks (int32 n × points × 2, x then y; 5 or 68 points), as
/// uint8 n × size × size × 3. The faces are cut in parallel.
#[pyfunction]
#[pyo3(signature = (image, landmarks, size = 150, padding = 0.25))]
pub fn face_chips<'py>(
    py: Python<'py>,
    image: PyReadonlyArray3<'py, u8>,
    landmarks: PyReadonlyArray3<'py, i32>,
    size: usize,
    padding: f64,
) -> Result<Bound<'py, PyArray4<u8>>> {
    let (pixels, width, height) = copy_image(&image)?;
    if landmarks.shape()[2] != 2 {
        return Err(CoreError::InvalidArgument(format!(
            "landmarks must have shape (n, points, 2), got {:?}",
            landmarks.shape()
        ))
        .into());
    }
    let faces: Vec<Vec<Point>> = landmarks
        .as_array()
        .outer_iter()
        .map(|face| {
            face.outer_iter()
                .map(|p| Point {
                    x: i64::from(p[0]),
                    y: i64::from(p[1]),
                })
                .collect()
        })
        .collect();
    // dlib's Python binding takes the padding as a C++ float.
    let padding = f64::from(padding as f32);
    let n = faces.len();
    let chips = detached(py, || {
        let image = RgbImage::new(&pixels, width, height)?;
        chips::face_chips(&image, &faces, size, padding)
    })?;
    let chips = Array4::from_shape_vec((n, size, size, 3), chips).expect("n × size × size × 3");
    Ok(chips.into_pyarray(py))
}
