//! Splitting a file into multipart parts, under each provider's rules.
//!
//! The rules are data ([`PartRules`]), one value per provider, not branches in the upload code.
//! Every plan has equal parts except a shorter last one (R2 requires it), respects the
//! provider's minimum and maximum part size, and never exceeds its part count: when the
//! configured size would need too many parts, the part size grows.

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartRules {
    pub min_part: u64,
    pub max_part: u64,
    pub max_parts: u32,
    /// Largest object a single PUT may create.
    pub max_single_put: u64,
    pub max_object: u64,
}

impl PartRules {
    /// AWS S3: 5 MiB–5 GiB parts, 10,000 parts, 5 GiB single PUT, 5 TiB portable maximum.
    pub const AWS: PartRules = PartRules {
        min_part: 5 * MIB,
        max_part: 5 * GIB,
        max_parts: 10_000,
        max_single_put: 5 * GIB,
        max_object: 5 * 1024 * GIB,
    };

    /// Cloudflare R2: parts and single uploads up to 5 GiB − 5 MiB; objects to 5 TiB − 5 GiB.
    pub const R2: PartRules = PartRules {
        min_part: 5 * MIB,
        max_part: 5 * GIB - 5 * MIB,
        max_parts: 10_000,
        max_single_put: 5 * GIB - 5 * MIB,
        max_object: 5 * 1024 * GIB - 5 * GIB,
    };
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartPlan {
    pub part_size: u64,
    pub count: u32,
    pub total: u64,
}

impl PartPlan {
    /// Plan parts of about `wanted` bytes for `total` bytes. Returns `None` when the object is
    /// larger than the provider accepts at all.
    pub fn new(total: u64, wanted: u64, rules: &PartRules) -> Option<PartPlan> {
        if total > rules.max_object {
            return None;
        }
        let mut part_size = wanted.clamp(rules.min_part, rules.max_part);
        let needed = total.div_ceil(rules.max_parts as u64);
        if part_size < needed {
            // Round up to a whole MiB so sizes stay readable and aligned.
            part_size = needed.div_ceil(MIB) * MIB;
        }
        if part_size > rules.max_part {
            return None;
        }
        let count = total.div_ceil(part_size).max(1) as u32;
        Some(PartPlan {
            part_size,
            count,
            total,
        })
    }

    /// Keep the part size an upload was started with (it is part of its resume state).
    pub fn with_part_size(total: u64, part_size: u64) -> PartPlan {
        PartPlan {
            part_size,
            count: total.div_ceil(part_size).max(1) as u32,
            total,
        }
    }

    /// Byte offset and length of part `number` (1-based).
    pub fn range(&self, number: u32) -> (u64, u64) {
        let offset = (number as u64 - 1) * self.part_size;
        (offset, self.part_size.min(self.total - offset))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans() {
        // (total, wanted, rules, expected part size, expected count)
        let cases = [
            (100 * MIB, 16 * MIB, PartRules::R2, 16 * MIB, 7),
            (100 * MIB, MIB, PartRules::R2, 5 * MIB, 20), // raised to the minimum
            (16 * MIB, 16 * MIB, PartRules::AWS, 16 * MIB, 1),
            (1024 * GIB, 16 * MIB, PartRules::AWS, 105 * MIB, 9_987), // grown to fit 10,000 parts
            (10_000 * 5 * MIB, 5 * MIB, PartRules::AWS, 5 * MIB, 10_000),
        ];
        for (total, wanted, rules, size, count) in cases {
            let plan = PartPlan::new(total, wanted, &rules).unwrap();
            assert_eq!((plan.part_size, plan.count), (size, count), "total {total}");
            assert!(plan.count <= rules.max_parts);
        }
    }

    #[test]
    fn parts_are_equal_but_the_last() {
        let plan = PartPlan::new(100 * MIB + 3, 16 * MIB, &PartRules::R2).unwrap();
        let sizes: Vec<u64> = (1..=plan.count).map(|n| plan.range(n).1).collect();
        assert!(
            sizes[..sizes.len() - 1]
                .iter()
                .all(|s| *s == plan.part_size)
        );
        assert!(*sizes.last().unwrap() <= plan.part_size);
        assert_eq!(sizes.iter().sum::<u64>(), 100 * MIB + 3);
        let (offset, _) = plan.range(plan.count);
        assert_eq!(offset, (plan.count as u64 - 1) * plan.part_size);
    }

    #[test]
    fn too_large_for_the_provider() {
        assert!(PartPlan::new(6 * 1024 * GIB, 16 * MIB, &PartRules::AWS).is_none());
        for rules in [PartRules::AWS, PartRules::R2] {
            // Exactly the provider's largest object fits in at most 10,000 parts; a byte more
            // does not.
            let at = PartPlan::new(rules.max_object, 16 * MIB, &rules).unwrap();
            assert!(at.count <= rules.max_parts && at.part_size <= rules.max_part);
            assert!(PartPlan::new(rules.max_object + 1, 16 * MIB, &rules).is_none());
        }
    }
}
